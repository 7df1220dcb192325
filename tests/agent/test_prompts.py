"""Every shipped prompt loads, is spoken-style, and names cannot escape the prompt folder."""

from __future__ import annotations

import re

import pytest

from agent.prompts import load_prompt, prompt_names
from agent.settings import load_settings

pytestmark = pytest.mark.unit


def test_every_prompt_loads_and_has_no_markdown_structure() -> None:
    names = prompt_names()
    assert {"support", "greeting"} <= set(names)
    for name in names:
        text = load_prompt(name)
        assert len(text) > 20
        assert not re.search(r"^#", text, re.MULTILINE), f"{name}: headings are read aloud"


def test_configured_prompts_exist() -> None:
    s = load_settings(environ={}, require_keys=False)
    assert load_prompt(s.agent.prompt)
    assert load_prompt(s.agent.greeting)


def test_prompt_name_cannot_escape() -> None:
    with pytest.raises(ValueError, match="escapes"):
        load_prompt("../settings")


def test_unknown_prompt() -> None:
    with pytest.raises(FileNotFoundError):
        load_prompt("no_such_prompt")
