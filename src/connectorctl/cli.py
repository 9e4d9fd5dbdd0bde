"""The command line: options become plain values, then a command function returns the exit code.

No click.Context and no options bag below this module.
"""

from __future__ import annotations

import errno
import itertools
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

from connectorctl import __version__
from connectorctl.config import (
    ApplyOptions,
    ExportOptions,
    PlanOptions,
    ProjectOptions,
    Selection,
    ShowLiveOptions,
    TargetOptions,
)
from connectorctl.errors import ConnectorctlError, ExitCode

F = TypeVar("F", bound=Callable[..., Any])

VALIDATE_FORMATS = ("text", "json", "github", "auto")
PLAN_FORMATS = ("text", "json", "markdown", "github", "auto")

_TARGET_OPTIONS = (
    click.option(
        "--connect-url", help="Connect API URL [env CTP_CONNECT_URL; default from region]."
    ),
    click.option("--auth-url", help="OAuth token URL [env CTP_AUTH_URL; default from region]."),
    click.option("--region", help="Region, e.g. europe-west1.gcp [env CTP_REGION]."),
    click.option("--project-key", help="Project key [env CTP_PROJECT_KEY]."),
    click.option("--scopes", help="Scopes to request, space-separated [env CTP_SCOPES]."),
    click.option(
        "--emulator",
        is_flag=True,
        default=False,
        help="Use the embedded local Connect emulator (.connectorctl/emulator.sqlite); "
        "no credentials needed.",
    ),
    click.option(
        "--debug", is_flag=True, default=False, help="Log every HTTP exchange (secrets redacted)."
    ),
)


def target_options(func: F) -> F:
    """Add the target-selection options; they work before and after the subcommand."""
    for option in reversed(_TARGET_OPTIONS):
        func = option(func)
    return func


def _target(ctx: click.Context, kwargs: dict[str, Any]) -> TargetOptions:
    local = TargetOptions(**{name: kwargs.pop(name) for name in _target_names()})
    parent: TargetOptions = ctx.obj if isinstance(ctx.obj, TargetOptions) else TargetOptions()
    return parent.merged(local)


def _target_names() -> tuple[str, ...]:
    return ("connect_url", "auth_url", "region", "project_key", "scopes", "emulator", "debug")


def project_options(func: F) -> F:
    """Add --target and --config (connectorctl.yaml); any command that talks to a target uses it."""
    func = click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="Project config [env CONNECTORCTL_CONFIG; default connectorctl.yaml found upwards].",
    )(func)
    return click.option(
        "--target",
        "target_name",
        metavar="NAME",
        help="Use this target of connectorctl.yaml [env CONNECTORCTL_TARGET].",
    )(func)


def all_targets_option(func: F) -> F:
    return click.option(
        "--all-targets", is_flag=True, help="Run once per target of connectorctl.yaml."
    )(func)


def _project(ctx: click.Context, kwargs: dict[str, Any]) -> ProjectOptions:
    """The project options out of `kwargs`; `defaulted` names options the config may set."""
    defaulted = tuple(
        name
        for name in ("parallelism", "timeout")
        if name in kwargs and ctx.get_parameter_source(name) is click.core.ParameterSource.DEFAULT
    )
    return ProjectOptions(
        target=kwargs.pop("target_name"),
        config=kwargs.pop("config_file"),
        all_targets=kwargs.pop("all_targets", False),
        defaulted=defaulted,
    )


def manifest_paths(func: F) -> F:
    func = click.option(
        "--exclude",
        "excludes",
        multiple=True,
        metavar="GLOB",
        help="Skip manifest files whose name or relative path matches GLOB (repeatable).",
    )(func)
    return click.argument("paths", nargs=-1, type=click.Path())(func)


def key_option(func: F) -> F:
    return click.option(
        "--key",
        "keys",
        multiple=True,
        metavar="KEY",
        shell_complete=_complete_keys,
        help="Only this connector (repeatable); reads the API by key.",
    )(func)


def _complete_keys(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[click.shell_completion.CompletionItem]:
    """Shell completion for --key: the keys of the manifests under the PATHs typed so far."""
    from connectorctl.commands.completion import manifest_keys

    paths = tuple(ctx.params.get("paths") or ())
    return [click.shell_completion.CompletionItem(k) for k in manifest_keys(paths, incomplete)]


def deployment_options(func: F) -> F:
    """--redeploy KEY and --allow-replace (plan and apply)."""
    func = click.option(
        "--allow-replace",
        is_flag=True,
        help="Replace (delete, then create) deployments whose region, type or connector changed.",
    )(func)
    return click.option(
        "--redeploy",
        multiple=True,
        metavar="KEY",
        help="Redeploy this Deployment with its secured values (repeatable).",
    )(func)


def deletion_options(func: F) -> F:
    """--prune and --allow-delete-published (plan and apply)."""
    func = click.option(
        "--allow-delete-published",
        is_flag=True,
        help="Let a delete go ahead for a connector that is public or published to other projects.",
    )(func)
    return click.option(
        "--prune",
        is_flag=True,
        help="Also delete connectors that match the target's prune.keys and that no manifest "
        "declares (needs connectorctl.yaml; deleting also deletes the published Connector).",
    )(func)


def format_option(choices: tuple[str, ...]) -> Callable[[F], F]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default="auto",
        show_default=True,
        help="Output format; auto = github when GITHUB_ACTIONS is set, else text.",
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="connectorctl")
@target_options
@click.pass_context
def cli(ctx: click.Context, /, **kwargs: Any) -> None:
    """Declarative GitOps for commercetools Connect connectors and their deployments.

    Keep each ConnectorStaged and Deployment as a YAML manifest in git, then:

    \b
      connectorctl validate connectors/          check manifests offline
      connectorctl plan connectors/ deployments/ show the update actions needed
      connectorctl apply connectors/             send them (asks first)
      connectorctl show --key KEY                the live state of one resource
      connectorctl export --output-dir connectors/   adopt existing connectors

    Try it without an account: add --emulator to plan, apply, export or show.

    \b
    Target: --target NAME from connectorctl.yaml, or CTP_CLIENT_ID, CTP_CLIENT_SECRET,
    CTP_PROJECT_KEY, CTP_REGION (or CTP_AUTH_URL + CTP_CONNECT_URL), CTP_SCOPES.
    A state: absent manifest (or --prune) deletes; deleting a ConnectorStaged also
    deletes its published Connector.
    Exit codes: 0 ok, 1 problems or errors, 2 changes (plan --detailed-exitcode),
    3 internal error, 130 interrupted.
    """
    ctx.obj = TargetOptions(**kwargs)


@cli.command()
@manifest_paths
@format_option(VALIDATE_FORMATS)
@project_options
@all_targets_option
@click.option(
    "--allow-undefined-vars",
    is_flag=True,
    help="An undefined ${VAR} is a warning, not a problem (for variables only CI sets).",
)
@click.pass_context
def validate(ctx: click.Context, /, **kwargs: Any) -> int:
    """Check manifests offline: YAML, schema, ${VAR} interpolation, duplicate keys.

    PATHS are files or directories (searched for *.yaml and *.yml); default ".".
    Every problem is printed as file:line:col: message. Exit 0 when clean, 1 otherwise.
    """
    from connectorctl.commands import validate as command

    project = _project(ctx, kwargs)
    selection = Selection(paths=kwargs["paths"], excludes=kwargs["excludes"])
    allow = bool(kwargs["allow_undefined_vars"])
    return command.run(selection, kwargs["output_format"], project, allow_undefined_vars=allow)


@cli.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE, not stdout.")
@click.option("--config", is_flag=True, help="The connectorctl.yaml schema instead.")
def schema(output: str | None, config: bool) -> int:
    """Print the manifest JSON Schema, for editors.

    With yaml-language-server, start a manifest with
    "# yaml-language-server: $schema=<path or URL of this schema>".
    """
    from connectorctl.commands import schema as command

    return command.run_config(output) if config else command.run(output)


@cli.command()
@manifest_paths
@key_option
@click.option("--out", type=click.Path(dir_okay=False), help="Also write the JSON plan to FILE.")
@format_option(PLAN_FORMATS)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when the plan has changes (0 none, 1 errors).",
)
@deletion_options
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Plan the lifecycle step again after a failed publish or rejected preview.",
)
@deployment_options
@target_options
@project_options
@all_targets_option
@click.pass_context
def plan(ctx: click.Context, /, **kwargs: Any) -> int:
    """Show the update actions that bring the live connectors to the manifests.

    Reads the Connect API, never writes. Use --out to save the plan for `apply --plan`.
    """
    from connectorctl.commands import plan as command

    target, project = _target(ctx, kwargs), _project(ctx, kwargs)
    selection = Selection(kwargs.pop("paths"), kwargs.pop("keys"), kwargs.pop("excludes"))
    return command.run(PlanOptions(selection, target, project=project, **kwargs))


@cli.command()
@manifest_paths
@key_option
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False),
    help="Apply exactly this saved plan (from plan --out); refused where it is stale.",
)
@format_option(PLAN_FORMATS)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--wait", is_flag=True, help="Wait for preview/publish to settle and show reports.")
@click.option(
    "--timeout",
    type=float,
    default=1800.0,
    show_default=True,
    help="Seconds to --wait, and to wait for a dependency (a connector's release), at most.",
)
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Connectors changed at once.",
)
@deletion_options
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Send the lifecycle step again after a failed publish or rejected preview.",
)
@deployment_options
@target_options
@project_options
@click.pass_context
def apply(ctx: click.Context, /, **kwargs: Any) -> int:
    """Apply the plan: create and update connectors, then preview or publish.

    Shows the plan and asks before writing (use --auto-approve in CI).
    """
    from connectorctl.commands import apply as command

    target, project = _target(ctx, kwargs), _project(ctx, kwargs)
    selection = Selection(kwargs.pop("paths"), kwargs.pop("keys"), kwargs.pop("excludes"))
    return command.run(ApplyOptions(selection, target, project=project, **kwargs))


@cli.command()
@key_option
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Where to write <key>.yaml files.",
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@target_options
@project_options
@click.pass_context
def export(ctx: click.Context, /, **kwargs: Any) -> int:
    """Write manifests for connectors that already exist (a plan right after is empty)."""
    from connectorctl.commands import export as command

    target, project = _target(ctx, kwargs), _project(ctx, kwargs)
    return command.run(ExportOptions(target=target, project=project, **kwargs))


@cli.command()
@click.argument("planfile", metavar="[PLANFILE]", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--key",
    metavar="KEY",
    shell_complete=_complete_keys,
    help="Show the live resource with this key (status, reports, comments, version).",
)
@click.option(
    "--kind",
    type=click.Choice(("ConnectorStaged", "Deployment")),
    default="ConnectorStaged",
    show_default=True,
    help="With --key: the kind of the resource.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice((*PLAN_FORMATS, "yaml")),
    default=None,
    help="PLANFILE: text|json|markdown|github|auto (default auto). --key: yaml (default) or json.",
)
@click.option(
    "--max-chars",
    type=click.IntRange(min=1000),
    help="PLANFILE: at most N characters (a PR comment).",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1000),
    help="PLANFILE: at most N UTF-8 bytes (a step summary).",
)
@target_options
@project_options
@click.pass_context
def show(ctx: click.Context, /, **kwargs: Any) -> int:
    """Print a saved plan (PLANFILE) again, or the live state of one resource (--key K).

    \b
      connectorctl show plan.json --format markdown    exactly what `plan --format markdown` printed
      connectorctl show --key payment-gateway          status, preview, reports, comments, version

    With a size limit, markdown leaves out whole connectors and says how many.
    """
    target, project = _target(ctx, kwargs), _project(ctx, kwargs)
    planfile, key, fmt = kwargs.pop("planfile"), kwargs.pop("key"), kwargs.pop("output_format")
    if (planfile is None) == (key is None):
        raise click.UsageError("give either PLANFILE or --key KEY (not both)")
    if planfile is not None:
        from connectorctl.commands import show as command

        if fmt == "yaml":
            raise click.UsageError(
                "--format yaml is for --key; a plan shows as text|json|markdown|github"
            )
        plan_options = command.ShowOptions(
            plan_file=planfile,
            output_format=fmt or "auto",
            max_chars=kwargs["max_chars"],
            max_bytes=kwargs["max_bytes"],
        )
        return command.run(plan_options)
    from connectorctl.commands import show_live

    if fmt not in (None, "yaml", "json"):
        raise click.UsageError("--key shows the live resource as --format yaml or json")
    if kwargs["max_chars"] or kwargs["max_bytes"]:
        raise click.UsageError("--max-chars and --max-bytes apply to a PLANFILE")
    options = ShowLiveOptions(
        target=target, key=key, kind=kwargs["kind"], output_format=fmt or "yaml", project=project
    )
    return show_live.run(options)


@cli.command()
@click.argument("shell", type=click.Choice(("bash", "zsh", "fish")))
def completion(shell: str) -> int:
    """Print the shell completion script for SHELL (bash, zsh or fish).

    \b
      bash:  eval "$(connectorctl completion bash)"      (in ~/.bashrc)
      zsh:   eval "$(connectorctl completion zsh)"       (in ~/.zshrc)
      fish:  connectorctl completion fish > ~/.config/fish/completions/connectorctl.fish

    Commands, options and --key values (from the manifests) complete.
    """
    from connectorctl.commands import completion as command

    return command.run(cli, shell)


def _add_emulator_command() -> None:
    from connectorctl.commands.emulator import emulator_command

    cli.add_command(emulator_command)


_add_emulator_command()


# Writing our own output failed (a full disk, a closed terminal): the user's problem, not a bug.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EPIPE, errno.EDQUOT})


def _escape_unencodable_output() -> None:
    """A character the stream cannot encode (→ on cp1252) is printed escaped, never a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "") == "strict":
            reconfigure(errors="backslashreplace")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every outcome into the documented exit code."""
    sys.exit(run_cli(argv))


def run_cli(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (for tests and `main`).

    With `--format json`, stdout holds one JSON document whatever happens: when a failure left it
    empty, the document is `{"error": {"message", "exit_code"}}`.
    """
    _escape_unencodable_output()
    args = sys.argv[1:] if argv is None else argv
    if not _json_requested(args):
        return _run(argv)[0]
    tracked = _TrackedStream(sys.stdout)
    sys.stdout = tracked
    try:
        code, message = _run(argv)
    finally:
        sys.stdout = tracked.stream
    if message is not None and not tracked.written:
        from connectorctl.planfile import json_text

        sys.stdout.write(json_text({"error": {"message": message, "exit_code": code}}) + "\n")
    return code


def _json_requested(args: list[str]) -> bool:
    return "--format=json" in args or any(
        a == "--format" and b == "json" for a, b in itertools.pairwise(args)
    )


class _TrackedStream:
    """A text stream that remembers whether anything was written to it."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.written = False

    def write(self, text: str) -> int:
        self.written = self.written or bool(text)
        return int(self.stream.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _run(argv: list[str] | None) -> tuple[int, str | None]:
    """The exit code, and the error message when the run failed (for the JSON error document)."""
    try:
        result = cli.main(args=argv, prog_name="connectorctl", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code), None
    except click.exceptions.Abort:
        click.echo("error: interrupted", err=True)
        return ExitCode.INTERRUPTED, "interrupted"
    except click.ClickException as exc:
        exc.show()
        return ExitCode.PROBLEMS, exc.format_message()
    except ConnectorctlError as exc:
        message = _error_text(exc)
        click.echo(f"error: {message}", err=True)
        return exc.exit_code, message
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        return ExitCode.INTERRUPTED, "interrupted"
    except BrokenPipeError:
        return ExitCode.OK, None
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            raise
        click.echo(f"error: cannot write output: {exc.strerror}", err=True)
        return ExitCode.PROBLEMS, None
    except Exception:
        traceback.print_exc()
        click.echo(
            f"connectorctl {__version__}: internal error; "
            "please report it with the traceback above.",
            err=True,
        )
        return ExitCode.INTERNAL, "internal error"
    return (int(result) if isinstance(result, int) else ExitCode.OK), None


def _error_text(exc: ConnectorctlError) -> str:
    """The message, each line made safe; continuation lines indented (none can start `::`)."""
    from connectorctl.report.escape import safe_lines

    return "\n  ".join(safe_lines(str(exc)))
