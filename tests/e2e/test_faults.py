"""Faults the bot must survive, one at a time, while 50 /ask are in flight: the gateway connection cut
(the bot resumes), 429s and a 500 on follow-ups, and REST taking 2 s per call. Every question is answered
exactly once, none lost, and the heartbeat keeps its interval. Figures are printed (pytest -s) and
recorded as a property of the test."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.e2e.conftest import HEARTBEAT_MS
from tests.e2e.helpers import message_of
from tests.e2e.test_load import TOPICS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTIONS = 50
ANSWERED_WITHIN = 30.0
MAX_HEARTBEAT_GAP = HEARTBEAT_MS / 1000 + 1.0  # as in test_load: a blocked loop shows as a longer silence
FOLLOW_UPS = "/webhooks/"


async def drop_the_gateway(emu) -> None:
    await emu.drop_gateway()


def rate_limit_follow_ups(emu):
    return emu.inject_fault(FOLLOW_UPS, method="POST", status=429, retry_after=0.5, times=20)


def fail_one_follow_up(emu):
    return emu.inject_fault(FOLLOW_UPS, method="POST", status=500)


def slow_rest(emu):
    return emu.inject_fault("/", delay=2.0, times=None)  # every REST call: answered 2 s late


async def all_requests_answered(emu, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(r.status is None for r in emu.requests) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


FAULTS = {
    "gateway dropped": ("during", drop_the_gateway),
    "429 on follow-ups": ("before", rate_limit_follow_ups),
    "500 on a follow-up": ("before", fail_one_follow_up),
    "REST 2 s per call": ("before", slow_rest),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_every_question_is_answered_exactly_once_under_a_fault(emu, start_bot, fault, record_property):
    w = emu.world
    when, inject = FAULTS[fault]
    users = [w.alice, w.bob, w.mod, w.manager]

    def ask(i: int):
        question = {"question": TOPICS[i % len(TOPICS)]}
        return emu.dispatch_slash_command(w.guild, w.general, users[i % len(users)], "ask", question)

    async with start_bot():
        started = time.monotonic()
        if when == "before":
            injected = inject(emu)
            records = list(await asyncio.gather(*(ask(i) for i in range(QUESTIONS))))
        else:  # half already being answered, the other half sent while the connection is down
            records = list(await asyncio.gather(*(ask(i) for i in range(QUESTIONS // 2))))
            await inject(emu)
            injected = None
            records += await asyncio.gather(*(ask(i) for i in range(QUESTIONS // 2, QUESTIONS)))
        await asyncio.wait(
            [asyncio.ensure_future(r.wait(ANSWERED_WITHIN)) for r in records], timeout=ANSWERED_WITHIN
        )
        await all_requests_answered(emu, ANSWERED_WITHIN)  # a slow answer still pending would fail the close
        elapsed = time.monotonic() - started
        await asyncio.sleep(0.5)  # a duplicate sent late would land now
        gaps = [c.max_heartbeat_gap() for c in emu.connections if c.heartbeats]
        emu.clear_faults()
    answered = [r for r in records if r.answered_at is not None]
    duplicates = sum(max(0, len(r.followups) - 1) for r in records)
    resumed = sum(c.resumed for c in emu.connections)
    figures = (
        f"{fault}: questions {QUESTIONS}, answers {len(answered)}, duplicates {duplicates}, "
        f"max heartbeat gap {max(gaps) * 1000:.0f} ms (interval {HEARTBEAT_MS} ms), "
        f"elapsed {elapsed:.1f} s, gateway connections {len(emu.connections)} (resumed {resumed})"
    )
    print("\n" + figures)
    record_property("figures", figures)
    assert len(answered) == QUESTIONS and duplicates == 0, figures
    assert all(not r.rejected and r.callback_type == 5 for r in records), [r.rejected for r in records]
    assert all(message_of(emu, r)["embeds"] for r in records), figures
    assert max(gaps) < MAX_HEARTBEAT_GAP, figures
    if injected is not None and injected.times is not None:
        assert injected.hits == injected.times, figures  # the fault really happened, every time asked
    if fault == "gateway dropped":
        assert resumed == 1 and len(emu.connections) == 2, figures
