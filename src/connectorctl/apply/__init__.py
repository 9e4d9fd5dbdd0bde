"""Apply: the executor (parallel, serial per resource), convergence and --wait."""
