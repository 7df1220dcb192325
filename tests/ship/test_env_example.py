"""`.env.example` documents every variable the agent reads, and its defaults load as they are."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from dotenv import dotenv_values

from agent.settings import ENV_OVERRIDES, SECRET_VARS, load_settings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"
VAR_NAME = re.compile(r"(?:ACME|LIVEKIT)_[A-Z0-9_]+|[A-Z][A-Z0-9]*_API_(?:KEY|SECRET)")
# Read by the framework's CLI and worker rather than by our settings.
FRAMEWORK_VARS = {"LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "LIVEKIT_LOG_LEVEL"}


def documented() -> set[str]:
    """Names assigned in the file, commented out or not (`# NAME=default` documents a default)."""
    found = set()
    for line in EXAMPLE.read_text().splitlines():
        if m := re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line):
            found.add(m.group(1))
    return found


def named_in_code() -> set[str]:
    """Every string constant in agent/ that is exactly a variable name (env lookups, tables)."""
    names = set()
    for path in (ROOT / "agent").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if VAR_NAME.fullmatch(node.value):
                    names.add(node.value)
    return names


def test_code_scan_sees_the_settings_tables() -> None:
    assert set(ENV_OVERRIDES) | set(SECRET_VARS) <= named_in_code()
    assert "ACME_CONFIG" in named_in_code()


def test_every_variable_the_agent_reads_is_documented() -> None:
    wanted = set(ENV_OVERRIDES) | set(SECRET_VARS) | named_in_code() | FRAMEWORK_VARS
    missing = sorted(wanted - documented())
    assert not missing, f"add to .env.example: {missing}"


def test_nothing_documented_that_nobody_reads() -> None:
    readers = set(ENV_OVERRIDES) | set(SECRET_VARS) | named_in_code() | FRAMEWORK_VARS
    assert documented() - readers == set()


def test_values_sit_alone_on_their_lines() -> None:
    for line in EXAMPLE.read_text().splitlines():
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            assert "#" not in line and line == line.strip(), line


def test_defaults_load_and_point_at_a_local_dev_server() -> None:
    values = {k: v for k, v in dotenv_values(EXAMPLE).items() if v is not None}
    settings = load_settings(environ=values, require_keys=False)
    assert settings.livekit.url == "ws://localhost:7880"
    assert settings.secrets.livekit_api_key == "devkey"
    assert settings.secrets.livekit_api_secret == "secret"
    assert settings.agent.mode == "pipeline"
    assert settings.agent.name == ""
