"""An error that quotes the user's input still fits one Discord message (2,000 characters): otherwise
Discord refuses it and the user is told nothing at all."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from bot.discord_adapter.errors import send_error
from bot.discord_adapter.render import CONTENT_LIMIT
from bot.errors import UnknownArticle


class Response:
    """The one part of an Interaction that send_error uses: its response, recorded."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def is_done(self) -> bool:
        return False

    async def send_message(self, text: str, **kwargs: object) -> None:
        self.sent.append(text)


def test_an_error_quoting_6000_characters_of_input_is_cut_to_one_message():
    response = Response()
    interaction = SimpleNamespace(response=response, command=None, data={}, client=None)
    asyncio.run(send_error(interaction, UnknownArticle("x" * 6000)))  # a string option's most
    (text,) = response.sent
    assert len(text) <= CONTENT_LIMIT and text.startswith("There is no article `xxx")
