"""Harness voice calls reach the review page within seconds of ending, on SQLite and on
PostgreSQL, and a supervisor sees them in headless chromium: the call list, one conversation
in the order things were said, security events marked, the latency and state chart drawn."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, expect

from agent.records.purge import purge
from agent.settings import load_settings
from harness import CallerSpeech, CallerTurn, CallResult, SimulatorUrls, run_call
from simulators import ProviderSimulator
from tests.e2e.conftest import GREETING, ORDER_HEARD, ORDER_SPOKEN, say, sim
from tests.records.conftest import pg_database, pg_server
from tests.records.recorded_calls import recorded_text_call
from tests.records.review_server import TOKEN, chat_lines, chromium, review_page, sign_in
from tools.call_records import open_call_records
from tools.stores import open_store

__all__ = ["pg_database", "pg_server", "say", "sim"]

pytestmark = pytest.mark.integration

CALL_TIMEOUT_S = 90
LISTED_WITHIN_S = 10.0


async def voice_call(
    mode: str, sim: ProviderSimulator, speech: CallerSpeech, workdir: Path, url: str
) -> CallResult:
    sim.script.hear(ORDER_HEARD)
    return await asyncio.wait_for(
        run_call(
            mode=mode,
            turns=[CallerTurn(speech=speech)],
            urls=SimulatorUrls.of(sim),
            workdir=workdir,
            call_id=f"review-{mode}",
            environ={"ACME_STORE_URL": url},
        ),
        CALL_TIMEOUT_S,
    )


async def wait_until_listed(base: str, call_id: str) -> float:
    """Seconds until the ended call is on the page (polled, with a deadline)."""
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        while True:
            async with http.get(f"{base}/calls/{call_id}") as r:
                if r.status == 200 and "hang-up" in await r.text():
                    return time.monotonic() - started
            if time.monotonic() - started > LISTED_WITHIN_S:
                raise AssertionError(f"{call_id} not on the review page after {LISTED_WITHIN_S} s")
            await asyncio.sleep(0.1)


async def drawn_chart(page: Page) -> tuple[list[float], int]:
    """The latency bars and how many state bars the chart holds, once drawn."""
    await page.wait_for_function("document.body.dataset.chartsReady === 'true'")
    latency = await page.evaluate("Chart.getChart('latency-chart').data.datasets[0].data")
    states = await page.evaluate(
        "Chart.getChart('timeline-chart').data.datasets.reduce((n, d) => n + d.data.length, 0)"
    )
    return [float(v) for v in latency], int(states)


async def answer_for(url: str) -> str:
    store = await open_store(url, seed=False)
    try:
        order = await store.get_order("ACME-1042")
    finally:
        await store.close()
    assert order is not None
    return f"It shipped with {order.carrier}. The tracking number is {order.tracking_number}."


async def browse(base: str, page: Page, shots: Path, *, call_id: str, answer: str) -> None:
    """What a supervisor sees of one order call: its row, its conversation, its chart."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    await sign_in(page, base)
    row = page.locator(f'tr[data-call-id="{call_id}"]')
    await expect(row).to_contain_text("console")
    await expect(row).to_contain_text("ACME-1042")
    await expect(row).to_contain_text("hang-up")
    await expect(row.locator("td").nth(3)).to_have_text("1")  # turns
    await expect(row.locator("td").nth(6)).to_have_text(re.compile(r"^\d+\.\d\d s$"))
    await page.screenshot(path=shots / "calls.png", full_page=True)

    await page.get_by_label("Order number").fill("1042")
    await page.get_by_role("button", name="Filter").click()
    await expect(row).to_be_visible()
    await page.get_by_label("Outcome").select_option("transfer")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_text("No calls match.")).to_be_visible()
    await page.get_by_role("link", name="Clear").click()

    await row.get_by_role("link").click()
    await expect(page.get_by_role("heading", name="Conversation")).to_be_visible()
    assert await chat_lines(page) == [
        f"Agent: {GREETING}",
        f"Caller: {ORDER_HEARD}",
        "Tool: lookup_order(order_id=ACME-1042)",
        f"Agent: {answer}",
    ]
    latency, states = await drawn_chart(page)
    assert len(latency) == 1 and 0 < latency[0] < 10
    assert states >= 4  # listening, thinking, speaking for the agent; the caller speaking
    await page.screenshot(path=shots / "call.png", full_page=True)
    assert all(u.startswith(base) for u in requests), "nothing loaded from elsewhere"


async def test_a_pipeline_call_is_reviewable_within_seconds(
    records_url: str, sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    url = records_url
    async with review_page(url) as base:
        await voice_call("pipeline", sim, say(ORDER_SPOKEN), tmp_path, url)
        seconds = await wait_until_listed(base, "review-pipeline")
        print(f"review_listed_s={seconds:.2f} url={url.split(':')[0]}")
        async with chromium() as browser:
            page = await browser.new_page()
            await browse(
                base, page, tmp_path, call_id="review-pipeline", answer=await answer_for(url)
            )


async def test_late_realtime_transcription_reads_in_spoken_order_with_security_events(
    pg_database: str, sim: ProviderSimulator, say: Callable[[str], CallerSpeech], tmp_path: Path
) -> None:
    url = pg_database
    sim.latency.realtime_transcript_late_s = 1.5  # the tool runs before the words arrive
    result = await voice_call("realtime", sim, say(ORDER_SPOKEN), tmp_path, url)
    arrived = [r.get("role", r["type"]) for r in result.transcript]
    assert arrived.index("tool_call") < arrived.index("user"), arrived

    records, orders = open_call_records(url), await open_store(url, seed=False)
    try:
        async with recorded_text_call(
            orders=orders, records=records, spools=tmp_path / "text", call_id="verified-call"
        ) as call:
            for said in (
                "details of ACME-1042",
                "verify ACME-1042 with zip 10001",
                "verify ACME-1042 with zip 94110",
                "details of ACME-1042",
            ):
                await call.session.run(user_input=said)
    finally:
        await orders.close()
        await records.close()

    async with review_page(url, retention_days=30) as base, chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, base)
        await page.goto(f"{base}/calls/review-realtime")
        answer = await answer_for(url)
        assert await chat_lines(page) == [
            f"Agent: {GREETING}",
            f"Caller: {ORDER_HEARD}",  # said before the tool ran, though it arrived after
            "Agent: Let me pull up ACME-1042.",  # said in the same response as the tool call
            "Tool: lookup_order(order_id=ACME-1042)",
            f"Agent: {answer}",
        ]
        latency, _ = await drawn_chart(page)
        assert len(latency) == 1
        await page.screenshot(path=tmp_path / "realtime.png", full_page=True)

        await page.goto(f"{base}/calls/verified-call")
        marked = page.locator("ol.chat li.tool.security .badge")
        await expect(marked).to_have_text(
            [
                "get_order_details refused: caller not verified (ACME-1042)",
                "verification failed (ACME-1042)",
                "caller verified (ACME-1042)",
                "order details read to a verified caller (ACME-1042)",
            ]
        )
        audit = page.locator("section.security li.audit")  # written by the verification itself
        await expect(audit.first).to_contain_text("verification events")
        audited = await audit.all_inner_texts()
        assert [t for t in audited if "verification events" in t and "outcome:" in t] == [
            t for t in audited if "verification events" in t
        ]
        assert ["failed", "success"] == [
            o for t in audited for o in ("failed", "success") if f"outcome: {o}" in t
        ]
        assert any("disclosures" in t and "shipping_address" in t for t in audited)
        security = await page.locator("section.security li").count()
        await page.screenshot(path=tmp_path / "security.png", full_page=True)

        settings = load_settings(environ={"ACME_STORE_URL": url}, require_keys=False)
        later = datetime.now(UTC) + timedelta(days=31)
        assert await purge(settings, days=30, dry_run=False, now=later) == (2, 0)
        await page.reload()
        await expect(page.locator(".notice")).to_contain_text("removed after 30 days")
        await expect(page.locator("ol.chat > li")).to_have_count(0)
        await expect(marked).to_have_count(0)
        await expect(page.locator("section.security li")).to_have_count(security)
        await page.screenshot(path=tmp_path / "purged.png", full_page=True)
