"""Microseconds per connector for the diff: one connector in sync, one with changes.

Run: `python benchmarks/bench_diff.py [--count N]`. Prints one line per case, then one JSON line.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections.abc import Mapping
from typing import Any

from connectorctl.kinds.connector_staged.diff import plan_connector
from connectorctl.model import DRAFT_FIELDS, Desired, Location

REMOTE: dict[str, Any] = {
    "id": "5ab3edcd-9d23-4934-8f48-256805253119",
    "key": "payment-gateway",
    "version": 7,
    "name": "Payment Gateway",
    "description": "Card payments for Composable Commerce",
    "documentationUrl": "https://acme.example/docs",
    "integrationTypes": ["psp", "other"],
    "creator": {
        "title": "Ms",
        "name": "Jane Doe",
        "email": "team@acme.example",
        "company": "ACME",
        "noOfContributors": 12,
        "supportUrl": "https://acme.example/support",
        "logoUrl": "https://acme.example/logo.png",
    },
    "repository": {"url": "git@github.com:acme/payment-connector.git", "tag": "v1.4.0"},
    "configurations": [],
    "private": True,
    "privateProjects": [f"europe-west1.gcp:acme-{n}" for n in range(5)],
    "supportedRegions": ["europe-west1.gcp", "us-central1.gcp"],
    "hasChanges": False,
    "alreadyListed": True,
    "status": "Published",
    "isPreviewable": "true",
    "certificationInfo": {"comments": [{"userId": "u", "datetime": "t", "comment": "Ready."}]},
}


def in_sync_spec() -> dict[str, Any]:
    spec = {name: copy.deepcopy(REMOTE[name]) for name in DRAFT_FIELDS}
    return {**spec, "certificationComments": ["Ready."], "release": "publish", "listed": True}


def changed_spec() -> dict[str, Any]:
    spec = in_sync_spec()
    spec["repository"] = {**spec["repository"], "tag": "v1.5.0"}
    spec["creator"] = {**spec["creator"], "email": "payments@acme.example"}
    spec["privateProjects"] = [*spec["privateProjects"][1:], "europe-west1.gcp:acme-new"]
    return spec


def per_connector_us(spec: Mapping[str, Any], count: int) -> float:
    desired = Desired("payment-gateway", spec, Location("connectors/payment.yaml"))
    plan_connector(desired, REMOTE)  # warm-up: imports and caches
    start = time.perf_counter()
    for _ in range(count):
        plan_connector(desired, REMOTE)
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    count = parser.parse_args().count
    figures = {
        "in_sync_us_per_connector": round(per_connector_us(in_sync_spec(), count), 1),
        "changed_us_per_connector": round(per_connector_us(changed_spec(), count), 1),
    }
    print(f"in sync:  {figures['in_sync_us_per_connector']:8.1f} µs per connector")
    print(f"changed:  {figures['changed_us_per_connector']:8.1f} µs per connector")
    print(json.dumps({"benchmark": "diff", "connectors": count, **figures}))


if __name__ == "__main__":
    main()
