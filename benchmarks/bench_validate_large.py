"""`connectorctl validate` of one 1 MiB manifest file per hostile shape, end to end.

Run: `python benchmarks/bench_validate_large.py [--runs 3]`. Each shape is a file just under the
1 MiB limit, built to stress one part of validation (long lists of mappings with a duplicate, as
in a fork's pull request; many documents; many unknown fields; long strings; aliases; variable
references). Prints a table (median wall seconds of the CLI subprocess, start-up included), then
one JSON line per shape. The target is under 2 s for every shape.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from harness import emit_json, machine, median, print_table, run_cli

LIMIT = 1024 * 1024
HEAD = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: {key}
name: Example
creator:
  email: dev@example.com
repository:
  url: https://github.com/example/connector
  tag: v1.0.0
"""


def fill(document: Callable[[int], str]) -> str:
    """As many documents as fit under 1 MiB (each numbered), joined by `---`."""
    parts: list[str] = []
    size = 0
    for index in range(1_000_000):
        text = document(index)
        if size + len(text) + 4 > LIMIT:
            break
        parts.append(text)
        size += len(text) + 4
    return "---\n".join(parts)


def mapping_list(index: int) -> str:
    """The issue's shape: integrationTypes holding 4,900 mappings plus one duplicate."""
    items = "".join(f"  - {{a: {n}}}\n" for n in range(4900)) + "  - {a: 1}\n"
    return HEAD.format(key=f"k{index}") + "integrationTypes:\n" + items


def string_list(index: int) -> str:
    """privateProjects of 20,000 identical strings."""
    return HEAD.format(key=f"k{index}") + "privateProjects:\n" + "  - eu:ab\n" * 20_000


def comments(index: int) -> str:
    """certificationComments of 2,000 long, nearly identical strings."""
    items = "".join(f"  - {'x' * 200}{n % 3}\n" for n in range(2000))
    return HEAD.format(key=f"k{index}") + "certificationComments:\n" + items


def small_documents(index: int) -> str:
    """Valid one-connector documents, thousands of them."""
    return HEAD.format(key=f"connector-{index:06d}")


def unknown_fields(index: int) -> str:
    """Documents with 3,000 misspelt fields each (a "did you mean" per field)."""
    fields = "".join(f"nmae{n}: x\n" for n in range(3000))
    return HEAD.format(key=f"k{index}") + fields


def long_strings(index: int) -> str:
    """Keys and a description of 100 KB each: patterns over long strings."""
    return HEAD.format(key="k" * 100_000 + f"\\n{index}") + f"description: {'d' * 100_000}\n"


def aliases(index: int) -> str:
    """A list of 9,000 aliases to one anchored mapping (expansion stays under the bound)."""
    items = "  - *x\n" * 9000
    return HEAD.format(key=f"k{index}") + "creator2: &x {a: 1}\nsupportedRegions:\n" + items


def variables(index: int) -> str:
    """Strings of 2,000 undefined and nested `${VAR}` references each."""
    refs = "".join(f"${{U{n}}}${{A:-${{B}}}}" for n in range(2000))
    return HEAD.format(key=f"k{index}") + f"description: '{refs}'\n"


SHAPES: dict[str, Callable[[int], str]] = {
    "mapping list + duplicate": mapping_list,
    "repeated strings": string_list,
    "long comments": comments,
    "small valid documents": small_documents,
    "unknown fields": unknown_fields,
    "long strings": long_strings,
    "aliases": aliases,
    "variable references": variables,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, document in SHAPES.items():
            path = Path(folder) / "large.yaml"
            text = fill(document)
            path.write_text(text, encoding="utf-8")
            runs = [run_cli(["validate", str(path), "--format", "json"]) for _ in range(args.runs)]
            codes = {run.exit_code for run in runs}
            rows.append(
                {
                    "shape": name,
                    "bytes": len(text.encode()),
                    "documents": text.count("---\n") + 1,
                    "exit": ",".join(str(c) for c in sorted(codes)),
                    "median_s": round(median([run.seconds for run in runs]), 3),
                    "max_s": round(max(run.seconds for run in runs), 3),
                    "peak_rss_mb": round(max(run.peak_rss_mb for run in runs), 1),
                }
            )
    columns = ["shape", "bytes", "documents", "exit", "median_s", "max_s", "peak_rss_mb"]
    print_table(rows, columns)
    emit_json([{"benchmark": "validate_large", **row, **machine()} for row in rows])
    return 0 if all(row["max_s"] < 2.0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
