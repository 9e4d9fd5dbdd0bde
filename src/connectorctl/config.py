"""Plain values the CLI hands to the commands."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TargetOptions:
    """Target selection from flags; None means "not given" (the environment may fill it in)."""

    connect_url: str | None = None
    auth_url: str | None = None
    region: str | None = None
    project_key: str | None = None
    scopes: str | None = None
    emulator: bool = False
    debug: bool = False

    def merged(self, override: TargetOptions) -> TargetOptions:
        """These options with every value that `override` gives replacing ours."""
        return TargetOptions(
            connect_url=override.connect_url or self.connect_url,
            auth_url=override.auth_url or self.auth_url,
            region=override.region or self.region,
            project_key=override.project_key or self.project_key,
            scopes=override.scopes or self.scopes,
            emulator=override.emulator or self.emulator,
            debug=override.debug or self.debug,
        )


@dataclass(frozen=True)
class Selection:
    """Which manifests and connectors a command works on."""

    paths: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanOptions:
    selection: Selection
    target: TargetOptions
    output_format: str = "auto"
    out: str | None = None
    detailed_exitcode: bool = False
    retry_failed: bool = False


@dataclass(frozen=True)
class ApplyOptions:
    selection: Selection
    target: TargetOptions
    plan_file: str | None = None
    output_format: str = "auto"
    auto_approve: bool = False
    wait: bool = False
    timeout: float = 600.0
    parallelism: int = 8
    retry_failed: bool = False


@dataclass(frozen=True)
class ExportOptions:
    target: TargetOptions
    keys: tuple[str, ...] = ()
    output_dir: str = "."
    force: bool = False


@dataclass(frozen=True)
class ShowLiveOptions:
    """`show --key K`: one live resource, printed as yaml or json."""

    target: TargetOptions
    key: str
    kind: str = "ConnectorStaged"
    output_format: str = "yaml"
