"""`connectorctl export` against the emulator: files, refusal to overwrite, plan round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectorctl.cli import run_cli
from connectorctl.config import Selection
from connectorctl.manifest.loader import load_manifests
from connectorctl.model import DRAFT_FIELDS

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "connectors"
OFFICIAL = ("staged.json", "created-draft.json", "updated-draft.json", "minimal.json")
REMOTE = {
    "key": "payment-gateway",
    "name": "Payment Gateway",
    "description": "",
    "integrationTypes": [],
    "creator": {"email": "team@acme.example", "name": "", "company": "ACME"},
    "repository": {"url": "git@github.com:acme/payment.git", "tag": "v1.0.0"},
    "supportedRegions": ["europe-west1.gcp"],
    "privateProjects": [],
    "status": "Published",
    "isPreviewable": "true",
    "alreadyListed": True,
    "certificationInfo": {"comments": [{"userId": "u", "datetime": "x", "comment": "hi"}]},
}


@pytest.fixture
def env(emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    variables: dict[str, str] = emulator.env()
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    for name in ("GITHUB_ACTIONS", "CTP_REGION", "CTP_SCOPES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return variables


def plan_is_empty(capsys: pytest.CaptureFixture[str], folder: str) -> dict[str, Any]:
    capsys.readouterr()
    code = run_cli(["plan", folder, "--format", "json", "--detailed-exitcode"])
    plan: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert code == 0, plan
    assert all(c["change"] == "unchanged" for c in plan["connectors"])
    return plan


def test_export_writes_desired_fields_only(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.admin("POST", "seed", REMOTE)
    assert run_cli(["export", "--output-dir", "out"]) == 0
    text = Path("out/payment-gateway.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert "apiVersion: connectorctl/v1\nkind: ConnectorStaged\nkey: payment-gateway\n" in text
    for left_out in ("description", "integrationTypes", "privateProjects", "release", "listed"):
        assert left_out not in text
    assert "certificationComments" not in text and "status" not in text
    assert "company: ACME" in text and "name: ''" not in text
    assert "exported 1 connector(s)" in capsys.readouterr().err
    plan = plan_is_empty(capsys, "out")
    assert [c["key"] for c in plan["connectors"]] == ["payment-gateway"]


def test_export_refuses_to_overwrite_without_force(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.admin("POST", "seed", REMOTE)
    emulator.admin("POST", "seed", {**REMOTE, "key": "tax-sync"})
    out = Path("out")
    out.mkdir()
    (out / "tax-sync.yaml").write_text("mine\n", encoding="utf-8")
    assert run_cli(["export", "--output-dir", "out"]) == 1
    assert "tax-sync.yaml" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["tax-sync.yaml"]  # nothing written at all
    assert (out / "tax-sync.yaml").read_text(encoding="utf-8") == "mine\n"
    assert run_cli(["export", "--output-dir", "out", "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["payment-gateway.yaml", "tax-sync.yaml"]
    assert "key: tax-sync" in (out / "tax-sync.yaml").read_text(encoding="utf-8")


def test_export_by_key(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.admin("POST", "seed", REMOTE)
    emulator.admin("POST", "seed", {**REMOTE, "key": "tax-sync"})
    assert run_cli(["export", "--key", "tax-sync", "--output-dir", "out"]) == 0
    assert [p.name for p in Path("out").iterdir()] == ["tax-sync.yaml"]
    assert run_cli(["export", "--key", "missing-one", "--output-dir", "other"]) == 1
    assert "missing-one" in capsys.readouterr().err
    assert not Path("other").exists()


def test_dollar_braces_stay_literal(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.admin("POST", "seed", {**REMOTE, "name": "Costs ${PRICE} a month"})
    assert run_cli(["export", "--output-dir", "out"]) == 0
    plan_is_empty(capsys, "out")


def test_round_trip_of_every_example(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    loaded = load_manifests(Selection(paths=(str(EXAMPLES),)), {})
    assert loaded.desired and not loaded.problems
    for desired in loaded.desired:
        emulator.admin(
            "POST", "seed", {k: desired.spec[k] for k in DRAFT_FIELDS if k in desired.spec}
        )
    assert run_cli(["export", "--output-dir", "exported"]) == 0
    plan = plan_is_empty(capsys, "exported")
    assert sorted(c["key"] for c in plan["connectors"]) == sorted(d.key for d in loaded.desired)
    assert plan["unmanaged"] == []


def test_round_trip_of_the_official_examples(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str], connect_examples: Path
) -> None:
    for index, name in enumerate(OFFICIAL):
        data = json.loads((connect_examples / "connector" / name).read_text(encoding="utf-8"))
        data = {k: v for k, v in data.items() if k != "id"}
        emulator.admin("POST", "seed", {**data, "key": f"official-{index}"})
    assert run_cli(["export", "--output-dir", "exported"]) == 0
    plan = plan_is_empty(capsys, "exported")
    assert len(plan["connectors"]) == len(OFFICIAL)


@pytest.mark.parametrize("key", ["../escaped", "/tmp/abs-escaped", "a", "sub/dir", "x\ny"])
def test_a_key_that_is_not_a_manifest_key_is_an_error_and_never_a_path(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    emulator.admin("POST", "seed", REMOTE)
    emulator.admin("POST", "seed", {**REMOTE, "key": key})
    before = set(Path.cwd().parent.iterdir()), set(Path("/tmp").iterdir())
    assert run_cli(["export", "--output-dir", "out"]) == 1
    err = capsys.readouterr().err
    assert "is not a valid manifest key; not exported" in err
    assert "\n::" not in err and "x\ny" not in err
    assert [p.name for p in Path("out").rglob("*") if p.is_file()] == ["payment-gateway.yaml"]
    assert (set(Path.cwd().parent.iterdir()), set(Path("/tmp").iterdir())) == before


def test_zero_contributors_and_control_characters_round_trip(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = "line\u0085next\u2028sep\ttab\x07bell\x1b[31m red\u200b"
    creator = {"email": "team@acme.example", "noOfContributors": 0, "name": odd}
    emulator.admin("POST", "seed", {**REMOTE, "creator": creator, "description": odd + "\n"})
    assert run_cli(["export", "--output-dir", "out"]) == 0
    text = Path("out/payment-gateway.yaml").read_text(encoding="utf-8")
    assert "  noOfContributors: 0\n" in text
    assert '  name: "line\\Nnext\\Lsep\\ttab\\abell\\e[31m red\u200b"\n' in text
    loaded = load_manifests(Selection(paths=("out",)), {})
    assert loaded.problems == ()
    assert loaded.desired[0].spec["creator"]["name"] == odd
    assert loaded.desired[0].spec["description"] == odd + "\n"
    plan_is_empty(capsys, "out")
