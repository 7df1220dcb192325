"""Run `agent/main.py` exactly as `python agent/main.py ...` does, with test instruments.

`python tests/ship/run_worker.py [--json-log FILE] [--no-portaudio] -- ARGS...`
- `--json-log FILE` also writes every log record as the framework's `start` mode does (its JSON
  formatter), from the worker and its calls, to FILE;
- `--no-portaudio` makes `import sounddevice` fail the way it does on a machine without the
  PortAudio library (a slim container), to prove the `start` worker never needs it.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import logging
import runpy
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

MAIN = Path(__file__).resolve().parents[2] / "agent" / "main.py"


class _NoPortAudio(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "sounddevice" or fullname.startswith("sounddevice."):
            raise OSError("PortAudio library not found")
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json-log", type=Path)
    parser.add_argument("--no-portaudio", action="store_true")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    args = opts.args[1:] if opts.args[:1] == ["--"] else opts.args

    if opts.no_portaudio:
        sys.meta_path.insert(0, _NoPortAudio())
    if opts.json_log is not None:
        from livekit.agents.cli.log import JsonFormatter

        handler = logging.FileHandler(opts.json_log, encoding="utf-8")
        handler.setFormatter(JsonFormatter())
        logging.getLogger().addHandler(handler)

    # What the interpreter does for `python agent/main.py`: the script's folder first on the path.
    sys.argv = [str(MAIN), *args]
    sys.path[0] = str(MAIN.parent)
    runpy.run_path(str(MAIN), run_name="__main__")


if __name__ == "__main__":
    main()
