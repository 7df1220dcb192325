"""CLI: `python -m simulators --port 8900 --script default` serves until killed."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from .latency import Latency
from .script import SCRIPTS, named_script
from .server import ProviderSimulator


def _parse(argv: list[str] | None) -> argparse.Namespace:
    defaults = Latency()
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    parser.add_argument("--port", type=int, default=8900, help="0 picks a free port")
    parser.add_argument(
        "--script",
        default="default",
        help=f"one of {sorted(SCRIPTS)}, or module:function returning a Script",
    )
    parser.add_argument(
        "--hears",
        action="append",
        default=[],
        metavar="TEXT",
        help="queue a transcript for the next speech segment (repeatable)",
    )
    parser.add_argument("--instant", action="store_true", help="no simulated latency")
    parser.add_argument("--llm-ttft", type=float, default=defaults.llm_ttft_s)
    parser.add_argument("--llm-tokens-per-s", type=float, default=defaults.llm_tokens_per_s)
    parser.add_argument("--stt-final", type=float, default=defaults.stt_final_s)
    parser.add_argument("--tts-ttfb", type=float, default=defaults.tts_ttfb_s)
    parser.add_argument("--tts-realtime-factor", type=float, default=defaults.tts_realtime_factor)
    parser.add_argument(
        "--realtime-first-audio", type=float, default=defaults.realtime_first_audio_s
    )
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    latency = (
        Latency.instant()
        if args.instant
        else Latency(
            stt_final_s=args.stt_final,
            llm_ttft_s=args.llm_ttft,
            llm_tokens_per_s=args.llm_tokens_per_s,
            tts_ttfb_s=args.tts_ttfb,
            tts_realtime_factor=args.tts_realtime_factor,
            realtime_first_audio_s=args.realtime_first_audio,
        )
    )
    script = named_script(args.script)
    script.hear(*args.hears)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with ProviderSimulator(script=script, latency=latency, port=args.port) as sim:
        print(f"simulators listening on {sim.base_url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    logging.basicConfig(level=args.log_level.upper())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
