"""The reply guard's wait and the slow tool filler's delay: defaults, overrides, bounds."""

from __future__ import annotations

import pytest

from agent.settings import ConfigError, load_settings

pytestmark = pytest.mark.unit

KEYS = {"OPENAI_API_KEY": "sk-o", "DEEPGRAM_API_KEY": "dg", "CARTESIA_API_KEY": "ca"}


def test_defaults_and_overrides() -> None:
    assert load_settings(environ=KEYS).agent.reply_guard_s == 6.0
    assert load_settings(environ=KEYS).agent.tool_filler_s == 1.5
    env = {**KEYS, "ACME_REPLY_GUARD_S": "8", "ACME_TOOL_FILLER_S": "2.5"}
    agent = load_settings(environ=env).agent
    assert (agent.reply_guard_s, agent.tool_filler_s) == (8.0, 2.5)


@pytest.mark.parametrize(
    ("env", "expected_start"),
    [
        ({"ACME_REPLY_GUARD_S": "0.5"}, "ACME_REPLY_GUARD_S: Input should be greater than"),
        ({"ACME_REPLY_GUARD_S": "soon"}, "ACME_REPLY_GUARD_S: Input should be a valid number"),
        ({"ACME_TOOL_FILLER_S": "0"}, "ACME_TOOL_FILLER_S: Input should be greater than"),
        ({"ACME_TOOL_FILLER_S": "60"}, "ACME_TOOL_FILLER_S: Input should be less than"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], expected_start: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(environ={**KEYS, **env})
    assert str(err.value).startswith(expected_start)
