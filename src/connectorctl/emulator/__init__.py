"""The local Connect API: a Starlette app over SQLite, with lifecycle simulation and faults.

Start it with `connectorctl emulator`, or in-process with
`connectorctl.emulator.server.start_emulator()`. One base URL serves `POST /oauth/token`,
`/connectors/drafts[...]` and the admin API below (no token needed; loopback only).

Admin API (`/_emulator/`, JSON bodies; unknown fields are 400 InvalidJsonInput):

- `POST reset` — forget every connector and script; settings, faults, clock and counters go back
  to what the emulator started with.
- `POST seed` — store a raw ConnectorStaged as it is, defaults filled in (`id`, `version: 1`, …).
  Body: the ConnectorStaged, a list of them, or `{"connector": {...}, "certified": true}`.
  A seeded `status: Processing` or `isPreviewable: pending` finishes like a real request.
- `POST script` — outcomes for one key (kept across deletes; merged with earlier scripts):
  `{"key": K, "preview": "true"|"false", "publish": "success"|"failed", "preview_delay": S,
  "publish_delay": S, "certification_delay": S, "report": [{"type": "Error", "title": "…"}]}`.
- `POST edit` — `{"key": K (or "id": ID), "actions": [...]}` applied as another user
  (`merchant-center-user`); the version is bumped even when the actions change nothing.
- `GET counters` — requests per route: `{"token": n, "create": n, "get": n, "query": n,
  "update": n, "delete": n}` (routes never called are absent).
- `GET clock`, `POST clock` — `{"advance": seconds}` or `{"now": "2026-01-01T00:00:00Z"}`;
  answers `{"now": ISO}`. Lifecycle delays are measured on this clock, so tests never sleep.
- `GET settings`, `POST settings` — partial updates of: `transitions_bump_version` (true),
  `update_status` (201 | 200), `omitted_description` ("empty" | "absent"),
  `processing_error_code` ("ConnectorStagedPublishRequestUnderProcess"), `preview_delay` (2),
  `publish_delay` (3), `certification_delay` (3), `preview_outcome` ("true" | "false"),
  `publish_outcome` ("success" | "failed"), `token_ttl` (172800 seconds),
  `change_resets_previewable` (true: a staged-data change sets `isPreviewable` back to "none").
- `GET faults`, `POST faults` — replaces the fault configuration (and restarts attempt counts):
  `{"seed": 0, "latency_ms": 0, "rates": {"503": 0.2}, "routes": {"update": {"429": 0.5}},
  "retry_after": 1, "drop_after_write": 0.0, "bump_version": 0.0, "first_attempts": 0}`.
  `rates` apply to every connector route, `routes` to one route (`token` only this way);
  statuses 429 (with `Retry-After: retry_after`), 500, 502, 503 answer instead of the request;
  `drop_after_write` commits a create/update/delete and then breaks the connection without a
  response; `bump_version` moves the version just before an update (the client gets a 409);
  `first_attempts: N` limits faults to the first N attempts of each (route, key). Decisions
  derive from (seed, route, key, attempt), so concurrent runs reproduce exactly.
"""
