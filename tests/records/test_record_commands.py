"""`scripts/agent review` and `scripts/agent purge-records`: one-line config errors, and the
purge's report."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent.records import purge
from review import __main__ as review_command
from tests.records.spools import T0, header, message, summary
from tools.call_records import open_call_records

pytestmark = pytest.mark.unit


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    for name in ("ACME_REVIEW_TOKEN", "ACME_RECORDS_URL", "ACME_RECORD_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'acme.db'}"
    monkeypatch.setenv("ACME_STORE_URL", url)
    monkeypatch.setenv("ACME_TRANSCRIPT_DIR", str(tmp_path / "spools"))
    return url


def test_review_needs_a_token(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert review_command.main([]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("config error: ACME_REVIEW_TOKEN is required for the review page")


def test_a_bad_retention_names_the_variable(
    env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACME_RECORD_RETENTION_DAYS", "-3")
    assert purge.main([]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("config error: ACME_RECORD_RETENTION_DAYS")


async def test_purge_reports_what_it_removed(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    records = [header("old", at=T0), message(1, "user", "Where is ACME-1042?", T0 + 1)]
    await open_call_records(env).add("old", [*records, summary(records, ended_at=T0 + 2)])

    def run(*args: str) -> str:
        assert purge.main(list(args)) == 0
        return capsys.readouterr().out

    assert "would purge 1 calls" in await asyncio.to_thread(run, "--dry-run")
    assert "purged 1 calls" in await asyncio.to_thread(run)
    assert "purged 0 calls" in await asyncio.to_thread(run)
    assert "nothing purged" in await asyncio.to_thread(run, "--days", "0")
