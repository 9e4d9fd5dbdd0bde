"""Shell completion: the scripts, and --key values completed from the manifests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectorctl.cli import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "_connectorctl_completion()"),
        ("zsh", "#compdef connectorctl"),
        ("fish", "complete --no-files --command connectorctl"),
    ],
)
def test_completion_script_per_shell(
    shell: str, marker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["completion", shell]) == 0
    out = capsys.readouterr().out
    assert marker in out
    assert "_CONNECTORCTL_COMPLETE" in out


def test_completion_for_an_unknown_shell_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(["completion", "tcsh"]) == 1
    assert "tcsh" in capsys.readouterr().err


def _complete(words: str, cword: int) -> list[str]:
    env = dict(os.environ)
    env.update(_CONNECTORCTL_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=str(cword))
    result = subprocess.run(
        [sys.executable, "-m", "connectorctl"],
        cwd=EXAMPLES,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]


def test_key_values_complete_from_the_manifests_under_the_paths() -> None:
    assert _complete("connectorctl plan connectors --key acme-p", 4) == ["acme-payment-gateway"]


def test_key_completion_without_a_match_offers_nothing() -> None:
    assert _complete("connectorctl apply connectors --key zzz", 4) == []


def test_unknown_key_suggests_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(["plan", str(EXAMPLES / "connectors"), "--key", "acme-paymnt-gateway"])
    assert code == 1
    err = capsys.readouterr().err
    assert "no manifest has the key 'acme-paymnt-gateway'" in err
    assert "(did you mean 'acme-payment-gateway'?)" in err


def test_unknown_key_far_from_every_key_has_no_suggestion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(["plan", str(EXAMPLES / "connectors"), "--key", "qqqqqqqq"]) == 1
    err = capsys.readouterr().err
    assert "no manifest has the key 'qqqqqqqq'" in err
    assert "did you mean" not in err
