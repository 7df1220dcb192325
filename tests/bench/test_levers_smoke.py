"""The lever benchmark end to end at its smallest: one paused utterance, the baseline and ours."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^(?P<agent>\S+)\s+(?P<n>\d+)\s+\d+ms\s+\d+ms\s+\d+ms\s+\d+/\d+\s+(?P<cut>\d+)/")


def test_one_paused_utterance_is_played_to_each_contender_and_reported() -> None:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed to synthesise caller speech")
    done = subprocess.run(
        [sys.executable, "bench/levers.py", "--set=paused", "--limit=1", "--rounds=1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [m for line in done.stdout.splitlines() if (m := ROW.match(line))]
    assert [(m["agent"], m["n"]) for m in rows] == [("baseline", "1"), ("ours", "1")]
