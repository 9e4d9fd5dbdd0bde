"""Plan at scale: wall time, HTTP requests and peak RSS of `connectorctl plan`, end to end.

Run: `python benchmarks/bench_plan.py` (N = 100 and 1,000; add `--sizes 100,1000,5000` for the
large run, a few minutes on 2 cores). For each N the emulator (its own process) is seeded with N
connectors, and the CLI plans N manifests twice: all in sync, and with 10% changed. The same
run times the naive strategy (one GET per key, which is what `plan --key K…` does) for the ratio.
Prints a table, then one JSON line per case.
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

TARGET_SECONDS = 2.0  # plan of 1,000 in-sync connectors
TARGET_READS = 3  # token + 2 pages


def plan_case(
    running: EmulatorProcess, folder: Path, keys: list[str], *, naive: bool
) -> dict[str, Any]:
    """One `connectorctl plan` run against the seeded emulator."""
    args = ["plan", str(folder), "--format", "json"]
    if naive:
        args += [arg for key in keys for arg in ("--key", key)]
    before = running.counters()
    run = run_cli(args, env=running.env())
    requests = count_delta(before, running.counters())
    if run.exit_code != 0:
        raise SystemExit(f"plan failed ({run.exit_code}):\n{run.stdout[-2000:]}{run.stderr}")
    return {
        "seconds": round(run.seconds, 3),
        "requests": sum(requests.values()),
        "requests_by_route": requests,
        "peak_rss_mb": round(run.peak_rss_mb, 1),
    }


def measure_size(count: int, workdir: Path, *, naive: bool) -> list[dict[str, Any]]:
    records = []
    with emulator() as running:
        running.seed([remote_connector(i) for i in range(count)])
        for state, every in (("in sync", 0), ("10% changed", 10)):
            folder = workdir / f"n{count}-{every}"
            keys = write_manifests(folder, count, changed_every=every)
            strategies = ("paged", "naive") if naive else ("paged",)
            for strategy in strategies:
                figures = plan_case(running, folder, keys, naive=strategy == "naive")
                records.append(
                    {
                        "benchmark": "plan",
                        "connectors": count,
                        "state": state,
                        "strategy": strategy,
                        **figures,
                    }
                )
    return records


def with_ratios(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add, to each naive row, how many times slower and chattier it is than the paged one."""
    paged = {(r["connectors"], r["state"]): r for r in records if r["strategy"] == "paged"}
    for record in records:
        base = paged[(record["connectors"], record["state"])]
        record["x_paged_time"] = round(record["seconds"] / base["seconds"], 1)
        record["x_paged_requests"] = round(record["requests"] / base["requests"], 1)
        if (record["connectors"], record["state"], record["strategy"]) == (
            1000,
            "in sync",
            "paged",
        ):
            record["target_met"] = (
                record["seconds"] < TARGET_SECONDS and record["requests"] <= TARGET_READS
            )
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000", help="comma-separated N (default 100,1000)")
    parser.add_argument("--no-naive", action="store_true", help="skip the one-GET-per-key runs")
    options = parser.parse_args()
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp:
        for count in (int(n) for n in options.sizes.split(",")):
            records += measure_size(count, Path(tmp), naive=not options.no_naive)
    records = with_ratios(records)
    columns = ["connectors", "state", "strategy", "seconds", "requests", "peak_rss_mb",
               "x_paged_time", "x_paged_requests", "target_met"]  # fmt: skip
    print_table(records, columns)
    emit_json([{**r, "machine": machine()} for r in records])


if __name__ == "__main__":
    main()
