"""Apply in parallel: 200 changed connectors, 50 ms latency on every request, parallelism 1 vs 16.

Run: `python benchmarks/bench_apply.py [--count 200] [--latency-ms 50] [--parallelism 1,16]`.
The emulator (its own process, `--latency-ms`) is reset and seeded before each run; the CLI runs
`apply DIR --auto-approve --parallelism P` end to end (plan, writes, convergence check). Each run
must exit 0 and leave an empty plan. Prints a table, then one JSON line per run.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from harness import (
    EmulatorProcess,
    count_delta,
    emit_json,
    emulator,
    machine,
    print_table,
    remote_connector,
    run_cli,
    write_manifests,
)

TARGET_SPEEDUP = 10.0


def apply_run(
    running: EmulatorProcess, folder: Path, count: int, parallelism: int
) -> dict[str, Any]:
    running.admin("POST", "reset")
    running.seed([remote_connector(i) for i in range(count)])
    before = running.counters()
    run = run_cli(
        ["apply", str(folder), "--auto-approve", "--format", "json",
         "--parallelism", str(parallelism)],
        env=running.env(),
    )  # fmt: skip
    requests = count_delta(before, running.counters())
    if run.exit_code != 0:
        raise SystemExit(f"apply failed ({run.exit_code}):\n{run.stdout[-2000:]}{run.stderr}")
    check = run_cli(["plan", str(folder), "--detailed-exitcode"], env=running.env())
    return {
        "benchmark": "apply", "connectors": count, "parallelism": parallelism,
        "seconds": round(run.seconds, 3), "requests": sum(requests.values()),
        "requests_by_route": requests, "peak_rss_mb": round(run.peak_rss_mb, 1),
        "plan_after_empty": check.exit_code == 0,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--parallelism", default="1,16")
    options = parser.parse_args()
    levels = [int(p) for p in options.parallelism.split(",")]
    records = []
    with tempfile.TemporaryDirectory(prefix="bench-apply-") as tmp:
        folder = Path(tmp) / "connectors"
        write_manifests(folder, options.count, changed_every=1)
        with emulator("--latency-ms", str(options.latency_ms)) as running:
            for parallelism in levels:
                record = apply_run(running, folder, options.count, parallelism)
                records.append({**record, "latency_ms": options.latency_ms})
    base = records[0]["seconds"]
    for record in records:
        record["speedup"] = round(base / record["seconds"], 1)
        if record["parallelism"] == 16 and levels[0] == 1:
            record["target_met"] = record["speedup"] >= TARGET_SPEEDUP
    columns = ["connectors", "latency_ms", "parallelism", "seconds", "requests", "peak_rss_mb",
               "speedup", "plan_after_empty", "target_met"]  # fmt: skip
    print_table(records, columns)
    emit_json([{**r, "machine": machine()} for r in records])


if __name__ == "__main__":
    main()
