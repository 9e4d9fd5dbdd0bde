"""Plain values the CLI hands to the commands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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
    # The connectorctl.yaml target this run uses (set by the command, never by a flag).
    selected: ConfigTarget | None = None

    @property
    def chooses_target(self) -> bool:
        """Whether a flag names the project or its URLs (which a config target would replace)."""
        values = (self.connect_url, self.auth_url, self.region, self.project_key, self.scopes)
        return any(value is not None for value in values)

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
            selected=override.selected or self.selected,
        )


@dataclass(frozen=True)
class ConfigTarget:
    """One target of connectorctl.yaml: a project, and the NAMES of its credential variables."""

    name: str
    project_key: str
    client_id_var: str
    client_secret_var: str
    region: str | None = None
    connect_url: str | None = None
    auth_url: str | None = None
    scopes: tuple[str, ...] | None = None
    variables: Mapping[str, str] = field(default_factory=dict, hash=False)
    secrets: tuple[str, ...] = ()
    prune_keys: tuple[str, ...] | None = None
    # Where the target is defined (file:line:col), for messages.
    place: str = ""


@dataclass(frozen=True)
class ProjectOptions:
    """How to find connectorctl.yaml and which of its targets to use (None: not given)."""

    target: str | None = None
    config: str | None = None
    all_targets: bool = False
    # Options left at their defaults, which the config's `defaults:` may set (e.g. "parallelism").
    defaulted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Selection:
    """Which manifests and connectors a command works on."""

    paths: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    # Set from connectorctl.yaml: the selected target (None: none selected), the names the
    # config defines (None: no config with targets), and its excludes, relative to `config_dir`.
    target: str | None = None
    known_targets: tuple[str, ...] | None = None
    config_dir: str | None = None
    config_excludes: tuple[str, ...] = ()
    # Variables whose values are secrets (client secrets, `secrets:`): kept out of manifests.
    secret_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanOptions:
    selection: Selection
    target: TargetOptions
    output_format: str = "auto"
    out: str | None = None
    detailed_exitcode: bool = False
    retry_failed: bool = False
    project: ProjectOptions = ProjectOptions()
    prune: bool = False
    allow_delete_published: bool = False
    redeploy: tuple[str, ...] = ()  # Deployment keys whose secured values are sent again
    allow_replace: bool = False


@dataclass(frozen=True)
class ApplyOptions:
    selection: Selection
    target: TargetOptions
    plan_file: str | None = None
    output_format: str = "auto"
    auto_approve: bool = False
    wait: bool = False
    timeout: float = 1800.0  # --wait, and dependency waits with or without it
    parallelism: int = 8
    retry_failed: bool = False
    project: ProjectOptions = ProjectOptions()
    prune: bool = False
    allow_delete_published: bool = False
    redeploy: tuple[str, ...] = ()
    allow_replace: bool = False


@dataclass(frozen=True)
class ExportOptions:
    target: TargetOptions
    keys: tuple[str, ...] = ()
    output_dir: str = "."
    force: bool = False
    project: ProjectOptions = ProjectOptions()


@dataclass(frozen=True)
class ShowLiveOptions:
    """`show --key K`: one live resource, printed as yaml or json."""

    target: TargetOptions
    key: str
    kind: str = "ConnectorStaged"
    output_format: str = "yaml"
    project: ProjectOptions = ProjectOptions()
