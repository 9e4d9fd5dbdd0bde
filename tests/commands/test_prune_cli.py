"""Deleting from git end to end: tombstones and --prune against the emulator over loopback HTTP."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectorctl.cli import run_cli

Capture = pytest.CaptureFixture[str]
PROJECT = "acme"

MANIFEST = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: {key}
name: {key} connector
creator: {{email: team@acme.example}}
repository: {{url: "git@github.com:acme/{key}.git", tag: v1}}
"""
TOMBSTONE = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: {key}
state: absent
"""


class Emulator:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, f"/_emulator/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def seed(self, key: str, **fields: Any) -> dict[str, Any]:
        doc = {
            "key": key,
            "name": f"{key} connector",
            "creator": {"email": "team@acme.example"},
            "repository": {"url": f"git@github.com:acme/{key}.git", "tag": "v1"},
            **fields,
        }
        self.admin("POST", "seed", doc)
        return self.get(key)

    def get(self, key: str) -> dict[str, Any]:
        token = self.http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("emulator-client", "emulator-secret"),
        ).json()["access_token"]
        answer = self.http.get(
            f"/connectors/drafts/key={key}", headers={"Authorization": f"Bearer {token}"}
        )
        return answer.json() if answer.status_code == 200 else {}


@pytest.fixture(scope="module")
def _server() -> Iterator[Emulator]:
    from connectorctl.emulator.server import start_emulator

    with start_emulator(project_key=PROJECT) as running:
        yield Emulator(running.url)


@pytest.fixture
def emulator(_server: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Emulator:
    _server.admin("POST", "reset")
    monkeypatch.setenv("ACME_ID", "emulator-client")
    monkeypatch.setenv("ACME_SECRET", "emulator-secret")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    (tmp_path / ".git").mkdir()
    (tmp_path / "connectors").mkdir()
    config = [
        "apiVersion: connectorctl/v1",
        "kind: Config",
        "paths: [connectors/]",
        "targets:",
        "  staging:",
        f"    connectUrl: {_server.url}",
        f"    authUrl: {_server.url}/oauth/token",
        f"    projectKey: {PROJECT}",
        "    credentials: {clientId: ACME_ID, clientSecret: ACME_SECRET}",
        "    prune: {keys: ['acme-*']}",
        "  production:",
        f"    connectUrl: {_server.url}",
        f"    authUrl: {_server.url}/oauth/token",
        "    projectKey: acme-prod",
        "    credentials: {clientId: ACME_ID, clientSecret: ACME_SECRET}",
        "defaultTarget: staging",
    ]
    (tmp_path / "connectorctl.yaml").write_text("\n".join(config) + "\n", encoding="utf-8")
    return _server


def write(name: str, text: str) -> None:
    Path("connectors", f"{name}.yaml").write_text(text, encoding="utf-8")


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    code = run_cli(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def changes(capsys: Capture, *argv: str) -> dict[str, str]:
    code, out, err = run(capsys, "plan", "--format", "json", *argv)
    assert code in (0, 1, 2) and out.startswith("{"), out + err
    return {c["key"]: c["change"] for c in json.loads(out)["connectors"]}


def test_a_tombstone_deletes_then_plans_unchanged(emulator: Emulator, capsys: Capture) -> None:
    emulator.seed("acme-old")
    write("old", TOMBSTONE.format(key="acme-old"))
    code, out, _ = run(capsys, "plan", "--detailed-exitcode")
    assert code == 2
    assert "- acme-old (connectors/old.yaml:1:1) will be deleted (version 1)" in out
    assert "Plan: 0 to create, 0 to update, 1 to delete, 0 unchanged, 0 blocked" in out
    code, out, err = run(capsys, "apply", "--auto-approve")
    assert code == 0, out + err
    assert "deleted" in out
    assert emulator.get("acme-old") == {}
    assert changes(capsys) == {"acme-old": "unchanged"}


def test_prune_deletes_inside_the_scope_and_leaves_the_rest(
    emulator: Emulator, capsys: Capture
) -> None:
    write("kept", MANIFEST.format(key="acme-kept"))
    for key in ("acme-kept", "acme-orphan", "other-team"):
        emulator.seed(key)
    assert changes(capsys, "--prune") == {"acme-kept": "unchanged", "acme-orphan": "delete"}
    code, out, err = run(capsys, "apply", "--prune", "--auto-approve")
    assert code == 0, out + err
    assert (emulator.get("acme-orphan"), emulator.get("other-team")["key"]) == ({}, "other-team")
    assert emulator.get("acme-kept")["key"] == "acme-kept"


def test_without_prune_the_orphans_are_unmanaged_with_a_hint(
    emulator: Emulator, capsys: Capture
) -> None:
    write("kept", MANIFEST.format(key="acme-kept"))
    emulator.seed("acme-kept")
    emulator.seed("acme-orphan")
    code, out, _ = run(capsys, "plan")
    assert code == 0
    assert "1 unmanaged (in no manifest): acme-orphan" in out
    assert (
        "info: 1 unmanaged connector matches prune.keys and no manifest declares them: run with "
        "--prune to delete them" in out
    )
    document = json.loads(run(capsys, "plan", "--format", "json")[1])
    assert document["unmanaged"] == ["acme-orphan"]
    assert document["messages"][0]["level"] == "info"


def test_a_key_declared_for_another_target_is_not_pruned(
    emulator: Emulator, capsys: Capture
) -> None:
    write("kept", MANIFEST.format(key="acme-kept"))
    write("prod", MANIFEST.format(key="acme-prod-only") + "targets: [production]\n")
    emulator.seed("acme-kept")
    emulator.seed("acme-prod-only")
    assert changes(capsys, "--prune") == {"acme-kept": "unchanged"}


@pytest.mark.parametrize(
    "extra", [["connectors/"], ["--key", "acme-kept"], ["--exclude", "x.yaml"]]
)
def test_prune_with_a_subset_of_the_manifests_is_refused(
    emulator: Emulator, capsys: Capture, extra: list[str]
) -> None:
    write("kept", MANIFEST.format(key="acme-kept"))
    for command in ("plan", "apply"):
        code, _, err = run(capsys, command, "--prune", *extra)
        assert code == 1
        assert "--prune deletes what no manifest declares, so it needs every manifest" in err


def test_prune_needs_prune_keys_on_the_target(emulator: Emulator, capsys: Capture) -> None:
    write("kept", MANIFEST.format(key="acme-kept"))
    code, _, err = run(capsys, "plan", "--prune", "--target", "production")
    assert code == 1
    assert "--prune needs `prune: {keys: [...]}` on target production" in err


def test_a_listed_connector_is_unlisted_first_then_deleted(
    emulator: Emulator, capsys: Capture
) -> None:
    emulator.seed("acme-listed", alreadyListed=True)
    write("listed", TOMBSTONE.format(key="acme-listed"))
    code, out, _ = run(capsys, "plan")
    assert code == 1
    assert "add `listed: false` to the tombstone" in out
    write("listed", TOMBSTONE.format(key="acme-listed") + "listed: false\n")
    assert changes(capsys) == {"acme-listed": "update"}
    code, out, err = run(capsys, "apply", "--auto-approve")
    assert code == 0, out + err
    assert emulator.get("acme-listed")["alreadyListed"] is False
    assert changes(capsys) == {"acme-listed": "delete"}
    assert run(capsys, "apply", "--auto-approve")[0] == 0
    assert emulator.get("acme-listed") == {}


def test_a_saved_plan_deletes_only_while_fresh(emulator: Emulator, capsys: Capture) -> None:
    emulator.seed("acme-old")
    write("old", TOMBSTONE.format(key="acme-old"))
    assert run(capsys, "plan", "--out", "plan.json")[0] == 0
    emulator.admin("POST", "edit", {"key": "acme-old", "actions": []})  # version moves
    code, out, _ = run(capsys, "apply", "--plan", "plan.json")
    assert code == 1
    assert "stale plan: version 1 was planned, the connector is now at version 2" in out
    assert emulator.get("acme-old")["version"] == 2
    assert run(capsys, "plan", "--out", "plan.json")[0] == 0
    code, out, err = run(capsys, "apply", "--plan", "plan.json")
    assert code == 0, out + err
    assert emulator.get("acme-old") == {}


def test_gone_already_counts_as_deleted(emulator: Emulator, capsys: Capture) -> None:
    emulator.seed("acme-old")
    write("old", TOMBSTONE.format(key="acme-old"))
    assert run(capsys, "plan", "--out", "plan.json")[0] == 0
    emulator.admin("POST", "reset")
    code, out, err = run(capsys, "apply", "--plan", "plan.json")
    assert code == 0, out + err
    assert "already gone" in out


def test_a_connector_recreated_under_the_key_is_not_deleted(
    emulator: Emulator, capsys: Capture
) -> None:
    emulator.seed("acme-old")
    write("old", TOMBSTONE.format(key="acme-old"))
    assert run(capsys, "plan", "--out", "plan.json")[0] == 0
    emulator.admin("POST", "reset")
    newcomer = emulator.seed("acme-old", name="A new one")
    code, out, err = run(capsys, "apply", "--plan", "plan.json")
    assert code == 0, out + err
    assert emulator.get("acme-old")["id"] == newcomer["id"]


def test_the_prompt_counts_the_deletions(
    emulator: Emulator, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.seed("acme-old")
    write("old", TOMBSTONE.format(key="acme-old"))

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("no\n"))
    code, _, err = run(capsys, "apply")
    assert code == 1
    assert "1 resource will be DELETED" in err
    assert emulator.get("acme-old")["key"] == "acme-old"


DEPLOYED = """\
apiVersion: connectorctl/v1
kind: Deployment
key: acme-live-prod
connector: {key: acme-live}
type: production
region: europe-west1.gcp
configurations:
  - applicationName: service
    standardConfiguration: {LOG_LEVEL: info}
"""


def test_a_deployed_connector_is_deleted_only_after_its_deployment(
    emulator: Emulator, capsys: Capture
) -> None:
    emulator.admin(
        "POST",
        "deployments/settings",
        {"queued_delay": 0, "deploying_delay": 0, "undeploying_delay": 0},
    )
    emulator.seed("acme-live", status="Published", privateProjects=["europe-west1.gcp:acme"])
    write("deployed", DEPLOYED)
    code, out, err = run(capsys, "apply", "--auto-approve")
    assert code == 0, out + err
    write("live", TOMBSTONE.format(key="acme-live"))
    code, out, _ = run(capsys, "plan")
    assert code == 1
    assert "still deployed in this project by acme-live-prod" in out
    write("deployed", DEPLOYED.replace("connector: {key: acme-live}\n", "state: absent\n")
          .replace("type: production\nregion: europe-west1.gcp\nconfigurations:\n", "")
          .replace("  - applicationName: service\n    standardConfiguration: {LOG_LEVEL: info}\n",
                   ""))  # fmt: skip
    planned = changes(capsys)
    assert planned == {"acme-live": "delete", "acme-live-prod": "delete"}
    code, out, err = run(capsys, "plan")
    assert "deleting it also deletes the published Connector" in out
    code, out, err = run(capsys, "apply", "--auto-approve", "--wait")
    assert code == 0, out + err
    assert emulator.get("acme-live") == {}
