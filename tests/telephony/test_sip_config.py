"""config/sip/ is accepted by LiveKit's SIP API and agrees with the agent's configuration."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from livekit.protocol import sip

from agent.settings import DEFAULT_CONFIG, ROOT, load_settings
from agent.telephony import sip_config

pytestmark = pytest.mark.unit

SIP_DIR = ROOT / "config" / "sip"


def committed(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SIP_DIR / name).read_text())
    return doc


def dispatched_agent_name() -> str:
    """The one agent name the committed dispatch rule sends phone calls to."""
    agents = committed("dispatch-rule.json")["dispatch_rule"]["roomConfig"]["agents"]
    assert len(agents) == 1, agents
    name: str = agents[0]["agentName"]
    return name


@pytest.fixture
def phone_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """The committed settings file, with the phone agent name the rule dispatches."""
    for var in ("ACME_AGENT_NAME", "LIVEKIT_AGENT_NAME", "LIVEKIT_AGENT_NAME_OVERRIDE"):
        monkeypatch.delenv(var, raising=False)
    name = dispatched_agent_name()
    monkeypatch.setenv("ACME_CONFIG", str(DEFAULT_CONFIG))
    monkeypatch.setenv("ACME_AGENT_NAME", name)
    return name


def test_dispatch_rule_is_a_valid_create_request() -> None:
    request = json_format.ParseDict(
        committed("dispatch-rule.json"), sip.CreateSIPDispatchRuleRequest()
    )
    rule = request.dispatch_rule
    assert rule.rule.WhichOneof("rule") == "dispatch_rule_individual"
    assert rule.rule.dispatch_rule_individual.room_prefix == "call-"
    assert not rule.hide_phone_number  # the agent recognizes callers by their number
    assert [a.agent_name for a in rule.room_config.agents] == [dispatched_agent_name()]
    assert dispatched_agent_name()  # an empty name would dispatch to any worker


def test_inbound_trunk_is_a_valid_create_request() -> None:
    request = json_format.ParseDict(
        committed("inbound-trunk.json"), sip.CreateSIPInboundTrunkRequest()
    )
    assert list(request.trunk.numbers) == [sip_config.EXAMPLE_NUMBER]
    assert request.trunk.name


def test_shapes_are_checked_for_real() -> None:
    """The parse above would catch a misspelt field."""
    bad = {"dispatch_rule": {"rule": {"dispatchRuleIndividal": {"roomPrefix": "call-"}}}}
    with pytest.raises(json_format.ParseError):
        json_format.ParseDict(bad, sip.CreateSIPDispatchRuleRequest())


def test_committed_settings_and_dispatched_name_reproduce_the_files(phone_env: str) -> None:
    files = sip_config.render(load_settings(require_keys=False))
    assert files == {name: (SIP_DIR / name).read_text() for name in files}
    assert sorted(files) == sorted(p.name for p in SIP_DIR.glob("*.json"))
    assert sip_config.main(["--check"]) == 0


def test_the_worker_registers_under_the_name_the_rule_dispatches(phone_env: str) -> None:
    from agent.main import _configured_agent_name

    assert _configured_agent_name() == phone_env


def test_default_name_stays_empty_for_playground_rooms() -> None:
    settings = load_settings(config_path=DEFAULT_CONFIG, environ={}, require_keys=False)
    assert settings.agent.name == ""
    example = (ROOT / ".env.example").read_text()
    assert re.search(r"^ACME_AGENT_NAME=$", example, re.M)
    assert f"ACME_AGENT_NAME={dispatched_agent_name()}" in example


def test_check_fails_when_the_name_changes(
    phone_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACME_AGENT_NAME", "acme-support-v2")
    assert sip_config.main(["--check"]) == 1
    assert "dispatch-rule.json differs" in capsys.readouterr().err


def test_empty_name_is_refused(
    phone_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACME_AGENT_NAME", "")
    assert sip_config.main(["--check"]) == 2
    assert "ACME_AGENT_NAME is empty" in capsys.readouterr().err


def test_writes_the_numbers_given(phone_env: str, tmp_path: Path) -> None:
    assert sip_config.main(["--out", str(tmp_path), "--number", "(415) 555-0100"]) == 0
    trunk = json.loads((tmp_path / "inbound-trunk.json").read_text())
    assert trunk["trunk"]["numbers"] == ["+14155550100"]
    rule = json.loads((tmp_path / "dispatch-rule.json").read_text())
    assert rule == committed("dispatch-rule.json")
    assert sip_config.main(["--out", str(tmp_path), "--number", "front desk"]) == 2
