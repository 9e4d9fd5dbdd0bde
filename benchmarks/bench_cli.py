"""CLI start-up, validate at scale, and the diff per connector, each end to end.

Run: `python benchmarks/bench_cli.py [--runs 21] [--manifests 10000]`.
- start-up: median wall time of `connectorctl --version` against `python -c pass` (the floor);
- validate: `connectorctl validate DIR` over 10,000 manifest files (one connector each);
- diff: `benchmarks/bench_diff.py` (µs per in-sync and per changed connector), in a subprocess.
Prints a table, then one JSON line per figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness import (
    clean_env,
    connectorctl_argv,
    emit_json,
    machine,
    median,
    print_table,
    run_cli,
    run_process,
    write_manifests,
)

HERE = Path(__file__).resolve().parent
TARGETS = {
    "startup --version": ("ms (median)", 150.0),
    "validate": ("s", 5.0),
    "diff in sync": ("µs per connector", 20.0),
    "diff changed": ("µs per connector", 1000.0),
}


def startup(runs: int) -> list[dict[str, Any]]:
    env = clean_env()
    floor = [run_process([sys.executable, "-c", "pass"], env=env).seconds for _ in range(runs)]
    version = [run_process([*connectorctl_argv(), "--version"], env=env) for _ in range(runs)]
    if any(v.exit_code for v in version):
        raise SystemExit("connectorctl --version failed")
    return [
        _row("startup python -c pass", median(floor) * 1000, "ms (median)", runs=runs),
        _row(
            "startup --version",
            median([v.seconds for v in version]) * 1000,
            "ms (median)",
            runs=runs,
            peak_rss_mb=round(max(v.peak_rss_mb for v in version), 1),
        ),
    ]


def validate(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        write_manifests(Path(tmp) / "connectors", count)
        run = run_cli(["validate", "connectors", "--format", "json"], cwd=Path(tmp))
    if run.exit_code != 0:
        raise SystemExit(f"validate failed ({run.exit_code}):\n{run.stdout[-2000:]}{run.stderr}")
    return _row(
        "validate", run.seconds, "s", manifests=count, peak_rss_mb=round(run.peak_rss_mb, 1)
    )


def diff(count: int) -> list[dict[str, Any]]:
    run = run_process(
        [sys.executable, str(HERE / "bench_diff.py"), "--count", str(count)], env=clean_env()
    )
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    return [
        _row("diff in sync", figures["in_sync_us_per_connector"], "µs per connector"),
        _row("diff changed", figures["changed_us_per_connector"], "µs per connector"),
    ]


def _row(name: str, value: float, unit: str, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"benchmark": name, "value": round(value, 3), "unit": unit, **extra}
    if name in TARGETS:
        row["target"] = TARGETS[name][1]
        row["target_met"] = value < TARGETS[name][1]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21, help="start-up runs (median)")
    parser.add_argument("--manifests", type=int, default=10000)
    parser.add_argument("--diff-count", type=int, default=2000)
    options = parser.parse_args()
    rows = [*startup(options.runs), validate(options.manifests), *diff(options.diff_count)]
    print_table(rows, ["benchmark", "value", "unit", "target", "target_met", "peak_rss_mb"])
    emit_json([{**r, "machine": machine()} for r in rows])


if __name__ == "__main__":
    main()
