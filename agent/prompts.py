"""Prompts are Markdown files under config/prompts/, loaded by name."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PROMPT_DIR = Path(__file__).resolve().parent.parent / "config" / "prompts"


@cache
def load_prompt(name: str) -> str:
    """Return the text of config/prompts/<name>.md, stripped."""
    path = (PROMPT_DIR / f"{name}.md").resolve()
    if path.parent != PROMPT_DIR.resolve():
        raise ValueError(f"prompt name escapes the prompt directory: {name!r}")
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        raise ValueError(f"prompt is empty: {path}")
    return text


def prompt_names() -> list[str]:
    """Every prompt shipped with the agent."""
    return sorted(p.stem for p in PROMPT_DIR.glob("*.md"))
