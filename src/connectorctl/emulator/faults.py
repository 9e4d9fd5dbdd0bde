"""Seeded fault injection: every decision is a pure function of (seed, route, subject, attempt).

`subject` is the connector key a request concerns (its id when it has no key, the client id for
the token route); `attempt` counts that route's requests for that subject, from 1. Nothing
shares one random stream, so a concurrent run makes exactly the same decisions as a serial one.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectorctl.emulator.settings import bad_request

ROUTES = ("token", "create", "get", "query", "update", "delete")
WRITE_ROUTES = ("create", "update", "delete")
FAULT_STATUSES = (429, 500, 502, 503)


@dataclass(frozen=True)
class FaultConfig:
    """What to inject. `rates` apply to every connector route (not `token`); `routes` per route."""

    seed: int = 0
    latency_ms: int = 0
    rates: Mapping[int, float] = field(default_factory=dict)
    routes: Mapping[str, Mapping[int, float]] = field(default_factory=dict)
    retry_after: int = 1
    drop_after_write: float = 0.0
    bump_version: float = 0.0
    first_attempts: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "latency_ms": self.latency_ms,
            "rates": {str(code): rate for code, rate in self.rates.items()},
            "routes": {
                r: {str(c): v for c, v in rates.items()} for r, rates in self.routes.items()
            },
            "retry_after": self.retry_after,
            "drop_after_write": self.drop_after_write,
            "bump_version": self.bump_version,
            "first_attempts": self.first_attempts,
        }

    def rates_for(self, route: str) -> Mapping[int, float]:
        if route in self.routes:
            return self.routes[route]
        return {} if route == "token" else self.rates


@dataclass(frozen=True)
class Decision:
    """What happens to one request: an error status instead of an answer, and/or side effects."""

    status: int | None = None
    drop: bool = False
    bump: bool = False


def fault_config(data: Mapping[str, Any]) -> FaultConfig:
    """Parse the `POST /_emulator/faults` body; ActionRejected(400) names what is wrong."""
    known = set(FaultConfig.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise bad_request(f"unknown fault setting(s): {', '.join(unknown)}")
    routes = data.get("routes") or {}
    if not isinstance(routes, Mapping) or not set(routes) <= set(ROUTES):
        raise bad_request(f"faults.routes: keys must be among {', '.join(ROUTES)}")
    return FaultConfig(
        seed=_number(data, "seed", 0, int),
        latency_ms=_number(data, "latency_ms", 0, int),
        rates=_rates("rates", data.get("rates") or {}),
        routes={route: _rates(f"routes.{route}", rates) for route, rates in routes.items()},
        retry_after=_number(data, "retry_after", 1, int),
        drop_after_write=_rate("drop_after_write", data.get("drop_after_write", 0.0)),
        bump_version=_rate("bump_version", data.get("bump_version", 0.0)),
        first_attempts=_number(data, "first_attempts", 0, int),
    )


def _number(data: Mapping[str, Any], name: str, default: int, kind: type[int]) -> int:
    value = data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise bad_request(f"faults.{name}: expected a non-negative integer")
    return kind(value)


def _rate(name: str, value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise bad_request(f"faults.{name}: expected a rate between 0 and 1")
    return float(value)


def _rates(name: str, rates: Any) -> dict[int, float]:
    if not isinstance(rates, Mapping):
        raise bad_request(f"faults.{name}: expected an object of STATUS: RATE")
    parsed = {}
    for code, rate in rates.items():
        status = int(code) if str(code).isdigit() else 0
        if status not in FAULT_STATUSES:
            raise bad_request(f"faults.{name}: status must be among {FAULT_STATUSES}, not {code}")
        parsed[status] = _rate(f"{name}.{code}", rate)
    if sum(parsed.values()) > 1:
        raise bad_request(f"faults.{name}: rates add up to more than 1")
    return parsed


def draw(seed: int, route: str, subject: str, attempt: int, purpose: str) -> float:
    """A number in [0, 1) that depends only on its arguments."""
    text = f"{seed}\0{route}\0{subject}\0{attempt}\0{purpose}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") / 2**64


def decide(config: FaultConfig, route: str, subject: str, attempt: int) -> Decision:
    """The faults for one request."""
    if config.first_attempts and attempt > config.first_attempts:
        return Decision()
    status = None
    roll, bound = draw(config.seed, route, subject, attempt, "status"), 0.0
    for code, rate in sorted(config.rates_for(route).items()):
        bound += rate
        if roll < bound:
            status = code
            break
    write = route in WRITE_ROUTES
    drop = write and draw(config.seed, route, subject, attempt, "drop") < config.drop_after_write
    bump = (
        route == "update"
        and draw(config.seed, route, subject, attempt, "bump") < config.bump_version
    )
    return Decision(status, drop, bump)


class RequestLog:
    """Requests per route (for `GET /_emulator/counters`) and attempts per (route, subject)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: Counter[str] = Counter()
        self._attempts: Counter[tuple[str, str]] = Counter()

    def count(self, route: str) -> None:
        with self._lock:
            self._routes[route] += 1

    def attempt(self, route: str, subject: str) -> int:
        with self._lock:
            self._attempts[(route, subject)] += 1
            return self._attempts[(route, subject)]

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._routes.items()))

    def reset_attempts(self) -> None:
        with self._lock:
            self._attempts.clear()

    def reset(self) -> None:
        with self._lock:
            self._routes.clear()
            self._attempts.clear()
