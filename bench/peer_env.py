"""The Pipecat peer benchmark's own virtual environment, `.venv-peer`, from its hash lock.

Pipecat pins protobuf below 7 where our runtime pins protobuf 7, so it cannot share `.venv`.
`bench/peer-requirements.lock` (made by `scripts/lock` from pyproject's `peer` group) is
installed with hashes and no dependency resolution, like `scripts/setup` does for `.venv`.

    python -m bench.peer_env        # create or update it (scripts/setup dev runs this)
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "bench" / "peer-requirements.lock"
VENV = ROOT / ".venv-peer"
PYTHON = VENV / "bin" / "python"


def installed() -> bool:
    """Whether `.venv-peer` holds exactly the current lock."""
    return _stamp().exists()


def ensure() -> Path:
    """Create `.venv-peer` from the lock unless it is already current; its Python's path."""
    stamp = _stamp()
    if not stamp.exists():
        if not PYTHON.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        for old in VENV.glob(".installed-*"):
            old.unlink()
        print(f"peer_env: installing {LOCK.relative_to(ROOT)} into .venv-peer", file=sys.stderr)
        subprocess.run(
            [
                str(PYTHON),
                *("-m", "pip", "install", "-q", "--disable-pip-version-check"),
                *("--require-hashes", "--no-deps", "-r", str(LOCK)),
            ],
            check=True,
        )
        stamp.touch()
    return PYTHON


def version(package: str) -> str:
    """An installed package's version in `.venv-peer`."""
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    done = subprocess.run([str(PYTHON), "-c", code], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _stamp() -> Path:
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:16]
    return VENV / f".installed-{digest}"


if __name__ == "__main__":
    ensure()
