"""The load bench end to end at its smallest: two calls of one turn, reference first."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LAST_LINE = re.compile(
    r"^load_calls=(?P<calls>\d+) p95_ratio=(?P<ratio>\d+\.\d{3}) "
    r"errors=(?P<errors>\d+) lost_records=(?P<lost>\d+)$"
)


def test_two_calls_report_latency_ratio_with_no_errors_and_no_lost_records() -> None:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed to synthesise caller speech")
    done = subprocess.run(
        [
            sys.executable,
            "bench/load.py",
            "--calls=2",
            "--turns=1",
            "--ref-rounds=1",
            "--window=0",
            "--playout-speed=4",
            "--quiet-wait=0",
            "--attempts=1",
            "--timeout=100",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    match = LAST_LINE.match(lines[-1])
    assert match is not None, lines[-1]
    assert match["calls"] == "2"
    assert match["errors"] == "0", done.stderr[-3000:]
    assert match["lost"] == "0", done.stderr[-3000:]
    assert float(match["ratio"]) > 0  # both phases measured a latency
    table = [line.split() for line in lines if re.match(r"^\s+[12]\s+\d+/\d+\s", line)]
    assert [(row[0], row[1]) for row in table] == [("1", "1/1"), ("2", "2/2")]
