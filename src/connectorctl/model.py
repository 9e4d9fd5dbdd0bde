"""The field table and the plain records that flow between the pipeline stages.

Everything that knows a ConnectorStaged field name by heart reads it from here: the diff, the
lifecycle planner, the renderers, the reference action applier and the emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

INTEGRATION_TYPES = (
    "tax", "marketplace", "oms", "psp", "pim", "promotion", "search",
    "erp", "crm", "email", "analytics", "shipping", "giftcard", "other",
)  # fmt: skip
REGIONS = (
    "europe-west1.gcp", "us-central1.gcp", "australia-southeast1.gcp",
    "us-east-2.aws", "eu-central-1.aws",
)  # fmt: skip
RELEASES = ("draft", "preview", "publish", "certify")
PROJECT_IDENTIFIER_PATTERN = r"^[a-zA-Z0-9-_.]+:[a-zA-Z0-9-_]{2,36}$"

MANIFEST_API_VERSION = "connectorctl/v1"
MANIFEST_KIND = "ConnectorStaged"

# Fields a ConnectorStagedDraft carries, in the order a create body lists them.
DRAFT_FIELDS = (
    "key", "name", "description", "integrationTypes", "creator", "repository",
    "supportedRegions", "privateProjects", "documentationUrl",
)  # fmt: skip

# Server-owned fields: never in a manifest, never diffed, ignored in a create body.
OBSERVED_FIELDS = (
    "id",
    "version",
    "status",
    "private",
    "configurations",
    "globalConfiguration",
    "apiClient",
    "hasChanges",
    "alreadyListed",
    "isPreviewable",
    "publishingReport",
    "previewableReport",
    "certificationInfo",
)

CREATOR_FIELDS = ("title", "name", "email", "company", "noOfContributors", "supportUrl", "logoUrl")


class Kind(StrEnum):
    """How a desired field is compared with the remote one."""

    SCALAR = "scalar"  # equal or not; one set* action carrying the new value
    SET = "set"  # order-insensitive list; one set* action carrying the whole desired list
    PAIR = "pair"  # several sub-fields sent together in one action (repository url + tag)
    MEMBERS = "members"  # order-insensitive list changed by remove*/add* actions per item


@dataclass(frozen=True)
class FieldSpec:
    """One managed ConnectorStaged field: where it lives, how it compares, what it emits.

    `params` maps each action parameter to the sub-path of the field it carries
    (`()` = the field value itself).
    """

    path: tuple[str, ...]
    kind: Kind
    action: str
    params: Mapping[str, tuple[str, ...]]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def _scalar(path: tuple[str, ...], action: str, param: str) -> FieldSpec:
    return FieldSpec(path, Kind.SCALAR, action, {param: ()})


# The managed fields in canonical action order (DESIGN.md "Diff rules").
FIELDS: tuple[FieldSpec, ...] = (
    _scalar(("name",), "setName", "name"),
    _scalar(("description",), "setDescription", "description"),
    _scalar(("documentationUrl",), "setDocumentationUrl", "documentationUrl"),
    FieldSpec(("integrationTypes",), Kind.SET, "setIntegrationTypes", {"integrationTypes": ()}),
    _scalar(("creator", "title"), "setCreatorTitle", "creatorTitle"),
    _scalar(("creator", "name"), "setCreatorName", "creatorName"),
    _scalar(("creator", "email"), "setCreatorEmail", "creatorEmail"),
    _scalar(("creator", "company"), "setCreatorCompany", "creatorCompany"),
    _scalar(
        ("creator", "noOfContributors"), "setCreatorNoOfContributors", "creatorNoOfContributors"
    ),
    _scalar(("creator", "supportUrl"), "setCreatorSupportUrl", "creatorSupportUrl"),
    _scalar(("creator", "logoUrl"), "setCreatorLogo", "logoUrl"),
    FieldSpec(("repository",), Kind.PAIR, "setRepository", {"url": ("url",), "tag": ("tag",)}),
    FieldSpec(("supportedRegions",), Kind.SET, "setSupportedRegions", {"regions": ()}),
    FieldSpec(("privateProjects",), Kind.MEMBERS, "addPrivateProject", {"privateProject": ()}),
)

REMOVE_PRIVATE_PROJECT = "removePrivateProject"
ADD_PRIVATE_PROJECT = "addPrivateProject"
ADD_CERTIFICATION_COMMENT = "addCertificationComment"
UNLIST = "unlist"
UPDATE_PREVIEWABLE = "updatePreviewable"
PUBLISH = "publish"

# Every update action of the API with its parameters and their JSON types, in canonical order.
# `publish` and `updatePreviewable` are lifecycle actions: always sent alone, last.
ACTION_PARAMS: Mapping[str, Mapping[str, str]] = {
    "setName": {"name": "string"},
    "setDescription": {"description": "string"},
    "setDocumentationUrl": {"documentationUrl": "string"},
    "setIntegrationTypes": {"integrationTypes": "array"},
    "setCreatorTitle": {"creatorTitle": "string"},
    "setCreatorName": {"creatorName": "string"},
    "setCreatorEmail": {"creatorEmail": "string"},
    "setCreatorCompany": {"creatorCompany": "string"},
    "setCreatorNoOfContributors": {"creatorNoOfContributors": "integer"},
    "setCreatorSupportUrl": {"creatorSupportUrl": "string"},
    "setCreatorLogo": {"logoUrl": "string"},
    "setRepository": {"url": "string", "tag": "string"},
    "setSupportedRegions": {"regions": "array"},
    REMOVE_PRIVATE_PROJECT: {"privateProject": "string"},
    ADD_PRIVATE_PROJECT: {"privateProject": "string"},
    ADD_CERTIFICATION_COMMENT: {"comment": "string"},
    UNLIST: {},
    UPDATE_PREVIEWABLE: {},
    PUBLISH: {"certification": "boolean"},
}
ACTION_ORDER: Mapping[str, int] = {name: i for i, name in enumerate(ACTION_PARAMS)}
LIFECYCLE_ACTIONS = frozenset({UPDATE_PREVIEWABLE, PUBLISH})
# Actions that change staged data: they set hasChanges and reset isPreviewable.
STAGED_DATA_ACTIONS = frozenset(
    name for name in ACTION_PARAMS if name.startswith("set") or name.endswith("PrivateProject")
)


def get_path(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at `path` in nested mappings, or None when any step is missing."""
    value: Any = data
    # EAFP rather than isinstance(…, Mapping): this runs for every field of every connector.
    try:
        for step in path:
            value = value[step]
    except (KeyError, TypeError, IndexError):
        return None
    return value


# ---------------------------------------------------------------------------------------------
# Records passed between stages.


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, at a 1-based place: `file:line:col: message`."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


@dataclass(frozen=True)
class Location:
    """Where a manifest document starts (1-based), as `file:line:col`."""

    file: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Desired:
    """A loaded, validated manifest: the connector as the team wants it.

    `spec` is the manifest's plain JSON data without `apiVersion` and `kind`; fields it omits are
    unmanaged. `positions` maps dotted field paths (`creator.email`, `privateProjects.1`) to the
    place of their value, for messages that point into the manifest.
    """

    key: str
    spec: Mapping[str, Any]
    location: Location
    positions: Mapping[str, Location] = field(default_factory=dict)
    kind: str = MANIFEST_KIND

    @property
    def release(self) -> str:
        return str(self.spec.get("release", "draft"))

    @property
    def listed(self) -> bool | None:
        value = self.spec.get("listed")
        return None if value is None else bool(value)

    @property
    def certification_comments(self) -> tuple[str, ...]:
        return tuple(self.spec.get("certificationComments", ()))

    def position(self, dotted: str) -> Location:
        """The place of a field's value, falling back to the document start."""
        return self.positions.get(dotted, self.location)


class Change(StrEnum):
    """What a plan does to one connector."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"
    UNCHANGED = "unchanged"
    WAITING = "waiting"  # held back until a pending preview review ends
    BLOCKED = "blocked"


class Status(StrEnum):
    """A ConnectorStaged's publishing status, as the API reports it."""

    DRAFT = "Draft"
    PROCESSING = "Processing"
    READY_FOR_CERTIFICATION = "ReadyForCertification"
    IN_CERTIFICATION = "InCertification"
    PUBLISHED = "Published"
    FAILED = "Failed"


class Previewable(StrEnum):
    """A ConnectorStaged's `isPreviewable`: a preview review's state."""

    TRUE = "true"
    FALSE = "false"
    PENDING = "pending"
    NONE = "none"


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Message:
    level: Level
    text: str


@dataclass(frozen=True)
class DiffEntry:
    """One changed value, for people: `path: before → after` (None = absent)."""

    path: str
    before: Any
    after: Any


class Until(StrEnum):
    """What a dependency edge waits for."""

    SETTLED = "settled"  # the other resource's lifecycle step has taken effect and succeeded
    GONE = "gone"  # the other resource answers 404


@dataclass(frozen=True, order=True)
class Dependency:
    """An edge: a resource's requests wait until `kind`/`key` reaches `until`."""

    kind: str
    key: str
    until: Until

    def __str__(self) -> str:
        return f"{self.kind}/{self.key}"


@dataclass(frozen=True)
class ConnectorChange:
    """The planned change of one resource (a connector, or another kind's resource).

    `actions` are the update actions in the order they are sent: field actions first, then at most
    one lifecycle action (sent in its own final request). For a create, `draft` is the POST body
    and `actions` what follows it.
    """

    key: str
    change: Change
    id: str | None = None
    version: int | None = None
    draft: Mapping[str, Any] | None = None
    actions: tuple[Mapping[str, Any], ...] = ()
    diff: tuple[DiffEntry, ...] = ()
    messages: tuple[Message, ...] = ()
    source: str | None = None
    kind: str = MANIFEST_KIND
    depends_on: tuple[Dependency, ...] = ()

    @property
    def field_actions(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(a for a in self.actions if a["action"] not in LIFECYCLE_ACTIONS)

    @property
    def lifecycle_actions(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(a for a in self.actions if a["action"] in LIFECYCLE_ACTIONS)

    @property
    def has_error(self) -> bool:
        return any(m.level is Level.ERROR for m in self.messages)


# The changes that write: they count for --detailed-exitcode and "Plan: …" summaries.
CHANGING = frozenset({Change.CREATE, Change.UPDATE, Change.DELETE, Change.REPLACE})


@dataclass(frozen=True)
class Target:
    """Which Connect API a plan reads and writes."""

    connect_url: str
    project_key: str
    name: str | None = None  # the connectorctl.yaml target, None without one


@dataclass(frozen=True)
class Plan:
    """The whole plan: one change per managed connector (sorted by key), plus unmanaged keys.

    `unmanaged` is None when the plan read connectors by key (`--key`) and so cannot know them.
    """

    target: Target
    created_at: str
    connectors: tuple[ConnectorChange, ...]
    unmanaged: tuple[str, ...] | None
    # Notes about the plan as a whole (e.g. unmanaged keys that --prune would delete).
    messages: tuple[Message, ...] = ()

    def count(self, change: Change) -> int:
        return sum(1 for c in self.connectors if c.change is change)

    @property
    def has_changes(self) -> bool:
        return any(c.change in CHANGING or c.change is Change.WAITING for c in self.connectors)

    @property
    def has_errors(self) -> bool:
        return any(c.change is Change.BLOCKED or c.has_error for c in self.connectors)
