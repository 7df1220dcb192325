"""A supervisor reading a call on the review page sees what the agent did on its own, such as
the reply guard recovering a caller's turn that went unanswered, where it happened in the
conversation, and the call list flags such calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.records.review_server import chat_lines, chromium, review_page, sign_in
from tests.records.spools import T0, event, header, message, summary
from tools.call_records import open_call_records

pytestmark = pytest.mark.unit

GREETING = "Hello, this is Acme support. How can I help?"
QUESTION = "Where is my order ACME-1042?"
APOLOGY = "I'm sorry, I didn't manage to answer that. Could you say it again, please?"


async def test_reply_guard_firings_read_in_the_conversation_where_they_happened(
    records_url: str, tmp_path: Path
) -> None:
    records = [
        header("guarded", at=T0),
        message(1, "assistant", GREETING, T0 + 0.5),
        # as the agent records them: the guard fired before the caller's words were kept
        event(2, "reply_guard", "no reply heard, reply asked again", T0 + 7.1),
        message(3, "user", QUESTION, T0 + 3, metrics={"stopped_speaking_at": T0 + 5}),
        event(4, "reply_guard", "no reply heard again, apologized", T0 + 9.2),
        message(5, "assistant", APOLOGY, T0 + 9.4),
        message(6, "user", QUESTION, T0 + 14, metrics={"stopped_speaking_at": T0 + 16}),
        message(7, "assistant", "It shipped yesterday.", T0 + 17, metrics={"e2e_latency": 1.0}),
    ]
    quiet = [header("quiet", at=T0 - 60), message(1, "user", QUESTION, T0 - 58)]
    store = open_call_records(records_url)
    try:
        await store.add("guarded", [*records, summary(records, ended_at=T0 + 20)])
        await store.add("quiet", [*quiet, summary(quiet, ended_at=T0 - 50)])
    finally:
        await store.close()

    async with review_page(records_url) as base, chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base)
        await expect(page.locator('tr[data-call-id="guarded"]')).to_contain_text("no reply ×2")
        await expect(page.locator('tr[data-call-id="quiet"]')).not_to_contain_text("no reply")

        await page.goto(f"{base}/calls/guarded")
        assert await chat_lines(page) == [
            f"Agent: {GREETING}",
            f"Caller: {QUESTION}",
            "Reply guard: No reply after 2 s: asked the model again",
            "Reply guard: No reply after 4 s: apologised and asked the caller to repeat",
            f"Agent: {APOLOGY}",
            f"Caller: {QUESTION}",
            "Agent: It shipped yesterday.",
        ]
        await expect(page.locator("ol.chat li.event").first).to_be_visible()
        # not a security event: no "Verification and security" section for this call
        await expect(page.locator("section.security")).to_have_count(0)
        await page.screenshot(path=tmp_path / "reply-guard.png", full_page=True)
