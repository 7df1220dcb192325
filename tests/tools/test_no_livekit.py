"""tools/ is plain business logic: importing all of it must not pull in the voice framework."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    import tools
    names = sorted(m.name for m in pkgutil.iter_modules(tools.__path__, "tools."))
    for name in names:
        importlib.import_module(name)
    loaded = sorted(m for m in sys.modules if m == "livekit" or m.startswith("livekit."))
    print(json.dumps({"modules": names, "livekit": loaded}))
    """
)


def test_importing_every_tools_module_loads_no_livekit() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    on_disk = {f"tools.{p.stem}" for p in (ROOT / "tools").glob("*.py") if p.stem != "__init__"}
    assert set(report["modules"]) == on_disk
    assert {"tools.support", "tools.stores", "tools.postgres_store"} <= on_disk
    assert report["livekit"] == []


def test_probe_would_notice_livekit() -> None:
    code = PROBE.replace("import tools\n", "import tools, livekit.agents\n")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["livekit"]
