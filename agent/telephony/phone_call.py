"""Answer a phone call: recognize the caller, then give the agent its phone tools and keypad."""

from __future__ import annotations

from dataclasses import dataclass

from livekit.agents import AgentSession, JobContext
from livekit.agents.llm import Tool, Toolset

from agent.acme_agent import AcmeAgent, CallState
from agent.call import Call
from agent.order_prefetch import OrderPrefetch
from agent.prompts import load_prompt
from agent.settings import Settings, TelephonyConfig
from agent.telephony.caller import CallerInfo
from agent.telephony.dtmf import KeypadEntry
from agent.telephony.greeting import Welcome, welcome_caller
from agent.telephony.hang_up import hang_up_tool
from agent.telephony.transfer import TransferTool


@dataclass(kw_only=True)
class PhoneCall:
    """What a phone call adds to a call; `aclose()` detaches the keypad from the room."""

    caller: CallerInfo
    welcome: Welcome
    tools: list[Tool | Toolset]
    keypad: KeypadEntry

    def agent(self, *, prefetch: OrderPrefetch | None = None) -> AcmeAgent:
        return AcmeAgent(
            instructions=self.welcome.instructions,
            greeting=self.welcome.greeting,
            tools=self.tools,
            prefetch=prefetch,
        )

    async def aclose(self) -> None:
        await self.keypad.aclose()


def phone_tools(*, job: JobContext, caller: CallerInfo, transfer_to: str) -> list[Tool | Toolset]:
    """end_call always; transfer_to_human only when a transfer target is configured."""
    tools: list[Tool | Toolset] = [hang_up_tool(caller)]
    if transfer_to:
        tools.append(TransferTool(job=job, caller=caller, transfer_to=transfer_to))
    return tools


async def answer_phone_call(
    *,
    job: JobContext,
    session: AgentSession[CallState],
    caller: CallerInfo,
    config: TelephonyConfig,
    instructions: str,
    greeting: str,
) -> PhoneCall:
    """Before the greeting: look the caller up, and listen for keypad entry on the room."""
    state = session.userdata
    state.verification.calling_number = caller.phone_number
    state.verification.offer_transfer = bool(config.transfer_to)
    welcome = await welcome_caller(
        desk=state.desk,
        verification=state.verification,
        caller=caller,
        instructions=instructions,
        greeting=greeting,
        step_timeout=config.caller_lookup_timeout,
        trust_caller_id=config.trust_caller_id,
    )
    keypad = KeypadEntry(session=session, caller=caller, timeout=config.keypad_timeout)
    keypad.attach(job.room)
    tools = phone_tools(job=job, caller=caller, transfer_to=config.transfer_to)
    return PhoneCall(caller=caller, welcome=welcome, tools=tools, keypad=keypad)


async def take_phone_call(
    job: JobContext, *, call: Call, caller: CallerInfo, settings: Settings
) -> None:
    """The worker's part: answer the phone call and give `call` the phone agent to start."""
    job.log_context_fields = {**job.log_context_fields, **caller.log_fields()}
    phone = await answer_phone_call(
        job=job,
        session=call.session,
        caller=caller,
        config=settings.telephony,
        instructions=load_prompt(settings.agent.prompt),
        greeting=load_prompt(settings.agent.greeting),
    )
    job.add_shutdown_callback(phone.aclose)
    call.agent = phone.agent(prefetch=call.prefetch)
