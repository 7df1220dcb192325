"""Acme voice support worker: `python agent/main.py console | dev | start | download-files`."""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import from the project root, not agent/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from livekit.agents import AgentServer, JobContext, JobProcess, cli

from agent.bootstrap import prepare_store
from agent.call import build_call
from agent.logging_setup import redact_customer_data_in_logs
from agent.records.worker import WorkerRecords
from agent.session_factory import load_vad
from agent.settings import ConfigError, Settings, export_env_file, load_settings
from agent.telephony.audio import caller_room_options
from agent.telephony.caller import sip_caller
from agent.telephony.phone_call import take_phone_call
from agent.worker_options import configured_server_options

COMMANDS_NEEDING_KEYS = {"console", "dev", "start", "connect"}

export_env_file()  # before the server reads its options: .env reaches the framework too


def prewarm(proc: JobProcess) -> None:
    """Once per worker process: settings, Silero VAD, and a ready (created, seeded) store."""
    settings = load_settings()
    proc.userdata["settings"] = settings
    proc.userdata["vad"] = load_vad(settings.vad)
    prepare_store(settings)


def _configured_agent_name() -> str:
    try:
        return load_settings(require_keys=False).agent.name
    except ConfigError:
        return ""  # main() reports the error and exits before the worker starts


server = AgentServer(setup_fnc=prewarm, **configured_server_options())
server.on("worker_started", redact_customer_data_in_logs)
records = WorkerRecords()  # ships call records left behind: at start, while running, at exit
server.on("worker_started", records.on_worker_started)


@server.rtc_session(agent_name=_configured_agent_name())
async def entrypoint(ctx: JobContext) -> None:
    settings: Settings = ctx.proc.userdata["settings"]
    call_id = f"{ctx.room.name}-{ctx.job.id}"
    mode = settings.agent.mode
    ctx.log_context_fields = {"room": ctx.room.name, "call_id": call_id, "mode": mode}

    participant = await ctx.wait_for_participant()  # console: its stand-in user, at once
    caller = sip_caller(participant)  # None unless a phone call
    call = build_call(
        settings,
        call_id=call_id,
        vad_model=ctx.proc.userdata["vad"],
        phone=caller is not None,
        caller="console" if ctx.is_fake_job() else "web",
        sip_call_id=caller.call_id if caller is not None else None,
        room=ctx.room.name,
    )
    ctx.add_shutdown_callback(call.release)
    if caller is not None:
        await take_phone_call(ctx, call=call, caller=caller, settings=settings)
    noise_cancellation = settings.telephony.noise_cancellation
    options = caller_room_options(
        participant, noise_cancellation=noise_cancellation, audio_input=call.audio_input
    )
    await call.start(room=ctx.room, room_options=options)


def main() -> None:
    command = next((a for a in sys.argv[1:] if not a.startswith("-")), "")
    try:
        load_settings(require_keys=command in COMMANDS_NEEDING_KEYS, command=command)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        cli.run_app(server)
    finally:
        records.before_exit(command)


if __name__ == "__main__":
    main()
