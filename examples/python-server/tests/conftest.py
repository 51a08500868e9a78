"""The fixtures the host's tests share."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import signalcraft

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hosts import PASSWORD  # noqa: E402


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, str]:
    """A database with workspace ``t``, an owner and the owner's API token."""
    path = tmp_path / "signalcraft.db"
    with signalcraft.Engine(str(path)) as e:
        e.add_user("owner@host.example", PASSWORD, "Owner")
        e.create_workspace("t", "owner@host.example")
        token = e.create_token("t", "owner", "host-test")["token"]
    return path, token
