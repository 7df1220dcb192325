"""`livekit.toml` has the shape `lk agent create` writes."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_project_and_agent_sections() -> None:
    config = tomllib.loads((ROOT / "livekit.toml").read_text())
    assert set(config) == {"project", "agent"}
    assert isinstance(config["project"]["subdomain"], str) and config["project"]["subdomain"]
    assert isinstance(config["agent"]["id"], str) and config["agent"]["id"]
