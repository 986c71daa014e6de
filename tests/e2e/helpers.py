"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

from typing import Any

from tests.emulator import DiscordEmulator, InteractionRecord, RecordedRequest

ANSWER_TIMEOUT = 30.0  # generous: a 2-core CI machine running the real model
NO_PINGS = {"parse": []}
# An article no shipped one resembles, for uploads and server collections.
QUOKKA_ARTICLE = b"""---
title: Quokka, the imaginary tensor library
url: https://example.org/quokka
---

## Installing Quokka

Quokka is installed with `pip install quokka-tensors`. It needs Python 3.11 and a recent NumPy.
The Quokka tensor library runs on CPUs only and has no GPU support at all.
"""


async def slash(
    emu: DiscordEmulator,
    user: Any,
    name: str,
    options: dict | None = None,
    *,
    channel: Any = None,
    subcommand: str | None = None,
    timeout: float = ANSWER_TIMEOUT,
) -> InteractionRecord:
    w = emu.world
    record = await emu.dispatch_slash_command(
        w.guild, channel or w.general, user, name, options or {}, subcommand=subcommand
    )
    return await record.wait(timeout)


def message_of(emu: DiscordEmulator, record: InteractionRecord) -> dict[str, Any]:
    return emu.messages[record.original_message_id]


def bot_requests(emu: DiscordEmulator, method: str, path_part: str) -> list[RecordedRequest]:
    return [r for r in emu.requests if r.method == method and path_part in r.path]


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row["components"]]


def answer_bodies(emu: DiscordEmulator, record: InteractionRecord) -> list[dict[str, Any]]:
    """Every JSON body the bot sent to fill or follow up this interaction."""
    return [body for _, body in record.edits + record.followups]
