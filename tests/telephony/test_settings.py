"""[telephony] settings: defaults, environment overrides, and a bad transfer target named."""

from __future__ import annotations

import pytest

from agent.settings import ConfigError, load_settings

pytestmark = pytest.mark.unit


def test_defaults_offer_no_transfer_and_no_noise_cancellation() -> None:
    t = load_settings(environ={}, require_keys=False).telephony
    assert t.transfer_to == ""
    assert t.noise_cancellation is False
    assert t.stt_model == "nova-2-phonecall"
    assert t.stt_sample_rate == 8000


def test_environment_overrides() -> None:
    t = load_settings(
        environ={
            "ACME_TRANSFER_TO": "+1 (510) 555-0100",
            "ACME_PHONE_NOISE_CANCELLATION": "true",
            "ACME_PHONE_STT_MODEL": "nova-3",
        },
        require_keys=False,
    ).telephony
    assert t.transfer_to == "tel:+15105550100"
    assert t.noise_cancellation is True
    assert t.stt_model == "nova-3"


def test_sip_transfer_target_is_kept() -> None:
    env = {"ACME_TRANSFER_TO": "sip:desk@pbx.example.com"}
    assert load_settings(environ=env, require_keys=False).telephony.transfer_to == (
        "sip:desk@pbx.example.com"
    )


def test_bad_transfer_target_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^ACME_TRANSFER_TO: .*phone number.*'front desk'"):
        load_settings(environ={"ACME_TRANSFER_TO": "front desk"}, require_keys=False)
