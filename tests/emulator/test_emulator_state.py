"""SQLite state: concurrent writers lose no update; a restart on the same file loses nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from connectorctl.emulator.server import start_emulator

from .conftest import Api


def _append_comment(api: Api, text: str) -> int:
    """Read-modify-write with retry on 409; returns the attempts it took."""
    for attempt in range(1, 200):
        version = api.get("key=payment-gateway").json()["version"]
        body = {"action": "setDescription", "description": text}
        response = api.update("key=payment-gateway", version, body,
                              {"action": "addCertificationComment", "comment": text})  # fmt: skip
        if response.status_code == 201:
            return attempt
        assert response.status_code == 409, response.text
    raise AssertionError("no progress")


def test_fifty_concurrent_writers_lose_no_update(emulator: Any, api: Api) -> None:
    api.create()
    texts = [f"writer-{i}" for i in range(50)]
    # One client each, as fifty separate processes would be (no connection pool shared).
    writers = [Api(emulator.url) for _ in texts]
    with ThreadPoolExecutor(50) as pool:
        attempts = list(pool.map(_append_comment, writers, texts))
    for writer in writers:
        writer.http.close()
    body = api.get("key=payment-gateway").json()
    comments = [c["comment"] for c in body["certificationInfo"]["comments"]]
    assert sorted(comments) == sorted(texts)
    assert body["version"] == 51
    assert max(attempts) > 1  # they really did collide


def test_restart_on_the_same_file_keeps_everything(tmp_path: Path) -> None:
    db = str(tmp_path / "emulator.sqlite")
    with start_emulator(db=db) as first:
        api = Api(first.url)
        created = api.create().json()
        api.update("key=payment-gateway", 1, {"action": "publish", "certification": False})
        api.http.post(f"{first.url}/_emulator/script", json={"key": "x", "publish": "failed"})
        api.http.close()
    with start_emulator(db=db) as second:
        api = Api(second.url)
        body = api.get(created["id"]).json()
        assert (body["version"], body["status"]) == (2, "Processing")
        api.http.post(f"{second.url}/_emulator/clock", json={"advance": 10})
        assert api.get(created["id"]).json()["status"] == "Published"
        api.http.close()
