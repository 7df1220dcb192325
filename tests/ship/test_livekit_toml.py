"""`livekit.toml` has the shape `lk agent create` writes; the README covers the deploy lifecycle."""

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


def test_readme_deploy_section_covers_the_lifecycle() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Deploy to LiveKit Cloud")
    section = readme[start : readme.index("\n## ", start + 1)]
    for command in (
        "lk cloud auth",
        "lk agent create --secrets-file .env",
        "lk agent deploy",
        'lk agent update-secrets --secrets "ACME_MODE=realtime"',
        "lk agent logs",
        "lk agent rollback",
        "lk agent status",
        "livekit.toml",
        "ACME_DRAIN_TIMEOUT",
    ):
        assert command in section, command
