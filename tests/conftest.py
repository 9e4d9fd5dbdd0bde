"""Fixtures shared by every test module."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The official Connect API examples live beside the repository, not in it.
CONNECT_EXAMPLES = REPO.parent / "shared" / "connect-examples"


@pytest.fixture
def connect_examples() -> Path:
    """The official JSON examples folder; tests that need it skip when it is absent."""
    if not CONNECT_EXAMPLES.is_dir():
        pytest.skip("official Connect examples not available beside the repository")
    return CONNECT_EXAMPLES
