"""One module per CLI command; each `run(...)` takes plain values and returns an exit code."""
