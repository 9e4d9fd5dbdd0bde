"""The emulated project: ConnectorStaged create, read, query, update and delete over the store.

Every read applies the lifecycle transitions that are due and persists them in the same
transaction, so a read and the update that follows agree on `version`.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectorctl.emulator import lifecycle
from connectorctl.emulator.drafts import new_connector, seeded_connector, validated_draft
from connectorctl.emulator.settings import Clock, EmulatorSettings, bad_request, iso
from connectorctl.emulator.store import Record, Store, Transaction
from connectorctl.kinds.connector_staged.actions import ActionRejected, apply_update
from connectorctl.model import DRAFT_FIELDS, OBSERVED_FIELDS, UPDATE_PREVIEWABLE

API_USER = "connectorctl-user"
OTHER_USER = "merchant-center-user"
_SORTABLE = frozenset(DRAFT_FIELDS) | frozenset(OBSERVED_FIELDS)


@dataclass(frozen=True)
class Ref:
    """How a request names a connector: `{id}` or `key={key}` in the path."""

    id: str | None = None
    key: str | None = None

    @classmethod
    def parse(cls, segment: str) -> Ref:
        if segment.startswith("key="):
            return cls(key=segment[4:])
        return cls(id=segment)

    def __str__(self) -> str:
        return f"key '{self.key}'" if self.key is not None else f"ID '{self.id}'"


@dataclass(frozen=True)
class Query:
    """The parameters of `GET /connectors/drafts`."""

    limit: int = 20
    offset: int = 0
    sort: tuple[tuple[str, bool], ...] = ()  # (dotted field, descending)
    is_private: bool | None = None
    integration_types: tuple[str, ...] = ()


def not_found(ref: Ref) -> ActionRejected:
    return ActionRejected(404, "ResourceNotFound", f"The Resource with {ref} was not found.")


def invalid_query(message: str) -> ActionRejected:
    return ActionRejected(400, "InvalidQueryParam", message, {"detailedErrorMessage": message})


def parse_query(params: Iterable[tuple[str, str]]) -> Query:
    """Query parameters → Query; 400 InvalidQueryParam for values out of range or unknown."""
    values: dict[str, list[str]] = {}
    for name, value in params:
        values.setdefault(name, []).append(value)
    unknown = sorted(set(values) - {"limit", "offset", "sort", "isPrivate", "integrationTypes"})
    if unknown:
        raise invalid_query(f"Unknown query parameter '{unknown[0]}'.")
    private = values.get("isPrivate", [None])[-1]
    if private not in (None, "true", "false"):
        raise invalid_query("isPrivate: expected true or false.")
    return Query(
        limit=_bounded(values, "limit", 20, 500),
        offset=_bounded(values, "offset", 0, 10000),
        sort=tuple(_sort_key(text) for text in values.get("sort", [])),
        is_private=None if private is None else private == "true",
        integration_types=tuple(values.get("integrationTypes", [])),
    )


def _bounded(values: Mapping[str, list[str]], name: str, default: int, maximum: int) -> int:
    text = values.get(name, [str(default)])[-1]
    if not text.isdigit() or int(text) > maximum:
        raise invalid_query(f"{name}: expected an integer between 0 and {maximum}, got '{text}'.")
    return int(text)


def _sort_key(text: str) -> tuple[str, bool]:
    parts = text.split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
        raise invalid_query(f"sort: expected 'field asc|desc', got '{text}'.")
    if parts[0].split(".")[0] not in _SORTABLE:
        raise invalid_query(f"sort: unknown field '{parts[0]}'.")
    return parts[0], len(parts) == 2 and parts[1] == "desc"


def _sort_value(doc: Mapping[str, Any], dotted: str) -> tuple[int, Any]:
    value: Any = doc
    for step in dotted.split("."):
        value = value.get(step) if isinstance(value, Mapping) else None
    if value is None:
        return (0, 0)
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value))


class EmulatedProject:
    """One project's connectors, the clock, and the settings they are served with."""

    def __init__(self, store: Store, settings: EmulatorSettings) -> None:
        self.store = store
        self.initial_settings = settings
        self.settings = settings
        self._settings_lock = threading.Lock()
        with store.transaction() as tx:
            self.clock = Clock(float(tx.value("clock_offset") or 0.0))

    # -- the API ---------------------------------------------------------------------------

    def create(self, body: Any) -> dict[str, Any]:
        draft = validated_draft(body)
        with self.store.transaction() as tx:
            self._refuse_duplicate(tx, draft.get("key"))
            record = Record(id=str(uuid.uuid4()), doc=new_connector(draft, self.settings))
            record.doc = {"id": record.id, **record.doc}
            tx.insert(record)
        return record.doc

    def get(self, ref: Ref) -> dict[str, Any]:
        with self.store.transaction() as tx:
            return self._load(tx, ref).doc

    def query(self, query: Query) -> dict[str, Any]:
        with self.store.transaction() as tx:
            docs = [self._advanced(tx, record).doc for record in tx.all()]
        docs = [doc for doc in docs if _matches(doc, query)]
        for field, descending in reversed(query.sort):
            docs.sort(key=lambda doc: _sort_value(doc, field), reverse=descending)
        page = docs[query.offset : query.offset + query.limit]
        return {
            "limit": query.limit, "offset": query.offset, "count": len(page),
            "total": len(docs), "results": page,
        }  # fmt: skip

    def update(self, ref: Ref, body: Any) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise bad_request("Request body must be a ConnectorUpdate object.")
        unknown = sorted(set(body) - {"version", "actions"})
        if unknown:
            raise bad_request(f"{unknown[0]}: unknown field in ConnectorUpdate")
        with self.store.transaction() as tx:
            record = self._load(tx, ref)
            processing = record.doc.get("status") == "Processing"
            result, changed = self._apply(
                record, body.get("version"), body.get("actions"), API_USER
            )
            if processing and body["actions"]:
                code = self.settings.processing_error_code
                raise ActionRejected(
                    400,
                    code,
                    "The ConnectorStaged is being published; it cannot be updated until that ends.",
                )
            if changed:
                self._store_update(tx, record, result, body["actions"])
        return record.doc

    def delete(self, ref: Ref) -> dict[str, Any]:
        with self.store.transaction() as tx:
            record = self._load(tx, ref)
            tx.delete(record)
        return record.doc

    # -- admin -----------------------------------------------------------------------------

    def key_of(self, ref: Ref) -> str:
        """The key a request concerns (for fault decisions); the id itself when unknown."""
        if ref.key is not None:
            return ref.key
        with self.store.transaction() as tx:
            record = tx.find(id=ref.id)
        return (record.key or record.id) if record else str(ref.id)

    def seed(self, raw: Any, *, certified: bool = False) -> dict[str, Any]:
        """Store a raw ConnectorStaged as it is (defaults filled in), bypassing validation."""
        if not isinstance(raw, Mapping):
            raise bad_request("seed: expected a ConnectorStaged object")
        doc = seeded_connector(raw, self.settings)
        record = Record(id=doc["id"], doc=doc, state={"certified": certified})
        lifecycle.schedule(record, _pending_actions(doc), self.clock.now())
        with self.store.transaction() as tx:
            self._refuse_duplicate(tx, record.key)
            tx.insert(record)
        return doc

    def edit(self, ref: Ref, actions: Any) -> dict[str, Any]:
        """Apply actions as another user; the version moves even when nothing else does."""
        with self.store.transaction() as tx:
            record = self._load(tx, ref)
            result, changed = self._apply(record, record.doc["version"], actions, OTHER_USER)
            if not changed:
                result["version"] = record.doc["version"] + 1
            self._store_update(tx, record, result, actions)
        return record.doc

    def bump_version(self, ref: Ref) -> None:
        """Someone else changed the connector just now (fault injection)."""
        with self.store.transaction() as tx:
            record = tx.find(id=ref.id, key=ref.key)
            if record is not None:
                record.doc["version"] += 1
                tx.save(record)

    def set_script(self, key: str, script: Mapping[str, Any]) -> dict[str, Any]:
        with self.store.transaction() as tx:
            merged = {**tx.script(key), **script}
            tx.set_script(key, merged)
        return merged

    def update_settings(self, changes: Mapping[str, Any]) -> EmulatorSettings:
        with self._settings_lock:
            self.settings = self.settings.merged(changes)
            return self.settings

    def move_clock(self, *, advance: float | None = None, now: float | None = None) -> str:
        if advance is not None:
            self.clock.advance(advance)
        if now is not None:
            self.clock.set_now(now)
        with self.store.transaction() as tx:
            tx.set_value("clock_offset", self.clock.offset)
        return iso(self.clock.now())

    def reset(self) -> None:
        with self.store.transaction() as tx:
            tx.clear()
        self.clock.reset()
        self.settings = self.initial_settings

    # -- inside a transaction --------------------------------------------------------------

    def _refuse_duplicate(self, tx: Transaction, key: Any) -> None:
        if isinstance(key, str) and tx.find(key=key) is not None:
            raise ActionRejected(
                400,
                "DuplicateField",
                f"A duplicate value '\"{key}\"' exists for field 'key'.",
                {"field": "key", "duplicateValue": key},
            )

    def _load(self, tx: Transaction, ref: Ref) -> Record:
        record = tx.find(id=ref.id, key=ref.key)
        if record is None:
            raise not_found(ref)
        return self._advanced(tx, record)

    def _advanced(self, tx: Transaction, record: Record) -> Record:
        timing = lifecycle.timing_for(self.settings, tx.script(record.key))
        transitions = lifecycle.advance(record, self.clock.now(), timing)
        if transitions:
            if self.settings.transitions_bump_version:
                record.doc["version"] += transitions
            tx.save(record)
        return record

    def _apply(
        self, record: Record, version: Any, actions: Any, user: str
    ) -> tuple[dict[str, Any], bool]:
        result, changed = apply_update(
            record.doc, version, actions, now=iso(self.clock.now()), user_id=user,
            certified=bool(record.state.get("certified")),
        )  # fmt: skip
        asks = any(isinstance(a, Mapping) and a.get("action") == UPDATE_PREVIEWABLE
                   for a in actions)  # fmt: skip
        if changed and not asks and not self.settings.change_resets_previewable:
            for name in ("isPreviewable", "previewableReport"):
                if name in record.doc:
                    result[name] = record.doc[name]
        return result, changed

    def _store_update(
        self, tx: Transaction, record: Record, result: dict[str, Any], actions: Sequence[Any]
    ) -> None:
        record.doc = result
        lifecycle.schedule(record, actions, self.clock.now())
        tx.save(record)


def _matches(doc: Mapping[str, Any], query: Query) -> bool:
    if query.is_private is not None and bool(doc.get("private")) != query.is_private:
        return False
    wanted = set(query.integration_types)
    return not wanted or bool(wanted & set(doc.get("integrationTypes") or ()))


def _pending_actions(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The lifecycle requests a seeded document is in the middle of."""
    actions: list[dict[str, Any]] = []
    if doc.get("isPreviewable") == "pending":
        actions.append({"action": "updatePreviewable"})
    if doc.get("status") == "Processing":
        actions.append({"action": "publish", "certification": False})
    return actions
