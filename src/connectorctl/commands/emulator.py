"""`connectorctl emulator`: serve the local Connect API in the foreground until Ctrl-C."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from connectorctl.emulator.options import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_DB,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_PROJECT_KEY,
    PROCESSING_ERROR_CODE,
    UNLIST_UNCERTIFIED,
    VIEWER_CLIENT_ID,
    VIEWER_CLIENT_SECRET,
    EmulatorOptions,
)
from connectorctl.errors import UsageError

if TYPE_CHECKING:
    from connectorctl.emulator.runtime import EmulatorRuntime

_EXTRA_MISSING = "the emulator needs the 'emulator' extra: pip install 'connectorctl[emulator]'"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"not a rate between 0 and 1: {text!r}") from None
    if not 0 <= value <= 1:
        raise UsageError(f"not a rate between 0 and 1: {text!r}")
    return value


def fault_body(
    *, seed: int, latency_ms: int, fail_rates: Sequence[str], retry_after: int,
    drop_after_write: str, bump_version: str,
) -> dict[str, Any]:  # fmt: skip
    """The `/_emulator/faults` body the fault flags describe (UsageError when malformed)."""
    rates: dict[str, float] = {}
    for item in fail_rates:
        code, sep, rate = item.partition("=")
        if not sep or code not in ("429", "500", "502", "503"):
            raise UsageError(
                f"--fail-rate takes CODE=RATE with CODE 429, 500, 502 or 503: {item!r}"
            )
        rates[code] = _rate(rate)
    return {
        "seed": seed, "latency_ms": latency_ms, "rates": rates, "retry_after": retry_after,
        "drop_after_write": _rate(drop_after_write), "bump_version": _rate(bump_version),
    }  # fmt: skip


def _clients(given: Sequence[str]) -> tuple[str, ...]:
    if given:
        return tuple(given)
    return tuple(os.environ.get("CONNECTORCTL_EMULATOR_CLIENTS", "").split())


def _banner(url: str, db: str, runtime: EmulatorRuntime) -> str:
    clients = runtime.issuer.clients
    first = clients[0].client_id
    lines = [
        f"connectorctl emulator: the Connect API at {url} (project {runtime.project_key}; "
        f"state in {db})",
        f"  token endpoint  {url}/oauth/token",
        f"  admin API       {url}/_emulator/  (reset, seed, script, edit, counters, clock, ...)",
        "  clients         "
        + ", ".join(f"{c.client_id} ({' '.join(sorted(c.scopes))})" for c in clients),
        "",
        "Point connectorctl (or curl) at it:",
        f"  export CTP_AUTH_URL={url}/oauth/token",
        f"  export CTP_CONNECT_URL={url}",
        f"  export CTP_PROJECT_KEY={runtime.project_key}",
        f"  export CTP_CLIENT_ID={first}",
        "  export CTP_CLIENT_SECRET=...   # that client's secret (never printed here)",
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


@click.command("emulator")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0 picks a free one).",
)
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite file for the state.")
@click.option(
    "--project-key", default=DEFAULT_PROJECT_KEY, show_default=True, help="The project's key."
)
@click.option(
    "--client",
    "clients",
    multiple=True,
    metavar="ID:SECRET:SCOPES",
    help="An API client (repeatable) [env CONNECTORCTL_EMULATOR_CLIENTS, space-separated].",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Seed of every fault decision.",
)
@click.option(
    "--latency-ms",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Delay before each answer.",
)
@click.option(
    "--fail-rate",
    "fail_rates",
    multiple=True,
    metavar="CODE=RATE",
    help="Answer CODE (429/500/502/503) to this share of requests, e.g. 503=0.2.",
)
@click.option(
    "--retry-after",
    default=1,
    show_default=True,
    type=click.IntRange(0),
    help="Retry-After seconds on a 429.",
)
@click.option(
    "--drop-after-write",
    default="0",
    metavar="RATE",
    help="Commit a write, then break the connection.",
)
@click.option(
    "--bump-version",
    default="0",
    metavar="RATE",
    help="Move the version just before an update (a 409).",
)
@click.option(
    "--update-status",
    type=click.Choice(["200", "201"]),
    default="201",
    show_default=True,
    help="Status of a successful update.",
)
@click.option(
    "--no-transition-bumps-version", is_flag=True, help="Lifecycle transitions keep the version."
)
@click.option(
    "--omitted-description",
    type=click.Choice(["absent", "empty"]),
    default="empty",
    show_default=True,
    help='An omitted description comes back absent or "".',
)
@click.option(
    "--processing-error-code",
    default=PROCESSING_ERROR_CODE,
    show_default=True,
    help="Error code of an update while Processing.",
)
@click.option(
    "--preview-delay",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds until a preview is decided.",
)
@click.option(
    "--publish-delay",
    default=3.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds a publish stays Processing.",
)
@click.option(
    "--no-staged-change-resets-previewable",
    is_flag=True,
    help="A staged-data change keeps isPreviewable (default: it goes back to none).",
)
@click.option(
    "--unlist-uncertified",
    type=click.Choice(UNLIST_UNCERTIFIED),
    default="works",
    show_default=True,
    help="Whether unlist works on a connector that is not certified.",
)
@click.option(
    "--no-unlist-clears-listed", is_flag=True, help="unlist keeps alreadyListed as it is."
)
def emulator_command(
    *, host: str, port: int, db: str, project_key: str, clients: tuple[str, ...], seed: int,
    latency_ms: int, fail_rates: tuple[str, ...], retry_after: int, drop_after_write: str,
    bump_version: str, update_status: str, no_transition_bumps_version: bool,
    omitted_description: str, processing_error_code: str, preview_delay: float,
    publish_delay: float, no_staged_change_resets_previewable: bool, unlist_uncertified: str,
    no_unlist_clears_listed: bool,
) -> int:  # fmt: skip
    """Serve the local Connect API emulator (ConnectorStaged endpoints, OAuth, admin API).

    State lives in --db (default: in memory). Without --client two clients are served, both
    public test fixtures: {manage} (manage_connectors) and {view} (view_connectors).
    A client is ID:SECRET:SCOPES, split on the first two colons, scopes space- or
    comma-separated (view_connectors, manage_connectors, manage_project; ":{{projectKey}}" is
    added when missing). No secret is ever printed.
    """
    options = EmulatorOptions(
        host=host, port=port, db=db, project_key=project_key, clients=_clients(clients),
        settings={
            "update_status": int(update_status),
            "transitions_bump_version": not no_transition_bumps_version,
            "omitted_description": omitted_description,
            "processing_error_code": processing_error_code,
            "preview_delay": preview_delay, "publish_delay": publish_delay,
            "staged_change_resets_previewable": not no_staged_change_resets_previewable,
            "unlist_uncertified": unlist_uncertified,
            "unlist_clears_listed": not no_unlist_clears_listed,
        },
        faults=fault_body(
            seed=seed, latency_ms=latency_ms, fail_rates=fail_rates, retry_after=retry_after,
            drop_after_write=drop_after_write, bump_version=bump_version,
        ),
    )  # fmt: skip
    return run_emulator(options)


if emulator_command.help:
    emulator_command.help = emulator_command.help.format(
        manage=f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}",
        view=f"{VIEWER_CLIENT_ID}:{VIEWER_CLIENT_SECRET}",
    )


def run_emulator(options: EmulatorOptions) -> int:
    """Serve `options` in the foreground until Ctrl-C; UsageError without the emulator extra."""
    import importlib

    try:
        server = importlib.import_module("connectorctl.emulator.server")
    except ImportError:
        raise UsageError(_EXTRA_MISSING) from None
    return _serve(server, options)


def _serve(server: Any, options: EmulatorOptions) -> int:
    from connectorctl.emulator.faults import fault_config
    from connectorctl.kinds.connector_staged.actions import ActionRejected

    try:
        runtime = server.build_runtime(
            db=options.db, project_key=options.project_key, clients=options.clients or None,
            settings=options.settings, faults=fault_config(options.faults),
        )  # fmt: skip
        sock = server.bind_socket(options.host, options.port)
    except ValueError as error:
        raise UsageError(str(error)) from None
    except ActionRejected as error:
        raise UsageError(error.message) from None
    except OSError as error:
        raise UsageError(
            f"cannot listen on {options.host}:{options.port}: {error.strerror}"
        ) from None
    if options.host not in _LOOPBACK:
        click.echo(f"warning: listening on {options.host}, not only loopback", err=True)
    click.echo(_banner(server.url_of(sock), options.db, runtime))
    sys.stdout.flush()
    try:
        server.make_server(runtime).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled; stopping is the normal way out
    finally:
        sock.close()
        runtime.project.store.close()
    click.echo("emulator stopped")
    return 0
