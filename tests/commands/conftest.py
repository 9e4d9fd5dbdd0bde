"""Fixtures of the command-line tests."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest

from support import use_client


@pytest.fixture
def env(emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The manage client's CTP_* variables set, a fresh cwd, fast lifecycle steps."""
    use_client(emulator, monkeypatch, "emulator-client")
    for name in ("GITHUB_ACTIONS", "CTP_REGION", "CTP_SCOPES", "SOURCE_DATE_EPOCH", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    emulator.admin("POST", "settings", {"preview_delay": 0, "publish_delay": 0})
    return emulator
