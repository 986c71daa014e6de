"""Buttons under answers and article lists.

Every button is a DynamicItem: its state lives in its custom_id (e.g. `qa:vote:up:42`), so buttons keep
working after a restart without the bot remembering any view.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord

from bot.core.answer import Answer
from bot.discord_adapter import render
from bot.discord_adapter.errors import NONE, NotModerator, send_error

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot

log = logging.getLogger(__name__)
ItemT = TypeVar("ItemT", bound=discord.ui.DynamicItem)
MORE_SOURCES_K = 10


def guarded(callback: Callable[[ItemT, discord.Interaction], Awaitable[None]]):
    """Route a button's errors to the one error handler (discord.py would only log them)."""

    @functools.wraps(callback)
    async def wrapper(self: ItemT, interaction: discord.Interaction) -> None:
        try:
            await callback(self, interaction)
        except Exception as error:
            await send_error(interaction, error)

    return wrapper


def _bot(interaction: discord.Interaction) -> QABot:
    return interaction.client  # type: ignore[return-value]


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"qa:vote:(?P<vote>up|down):(?P<qid>\d+)"
):
    def __init__(self, vote: str, question_id: int) -> None:
        self.vote, self.question_id = vote, question_id
        super().__init__(
            discord.ui.Button(
                emoji="👍" if vote == "up" else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"qa:vote:{vote}:{question_id}",
            )
        )

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any, match: Any) -> VoteButton:
        return cls(match["vote"], int(match["qid"]))

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        vote = 1 if self.vote == "up" else -1
        message_id = interaction.message.id if interaction.message else self.question_id
        previous = await asyncio.to_thread(
            _bot(interaction).storage.vote,
            message_id,
            interaction.user.id,
            vote,
            self.question_id,
            interaction.guild_id,
        )
        emoji = "👍" if vote == 1 else "👎"
        text = {None: f"Thanks for the feedback {emoji}", vote: f"You already voted {emoji}"}.get(
            previous, f"Changed your vote to {emoji}"
        )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)


class MoreSourcesButton(discord.ui.DynamicItem[discord.ui.Button], template=r"qa:more:(?P<qid>\d+)"):
    def __init__(self, question_id: int) -> None:
        self.question_id = question_id
        super().__init__(
            discord.ui.Button(
                label="More sources", style=discord.ButtonStyle.secondary, custom_id=f"qa:more:{question_id}"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Any, match: Any
    ) -> MoreSourcesButton:
        return cls(int(match["qid"]))

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = _bot(interaction)
        question = await asyncio.to_thread(bot.storage.question, self.question_id)
        if question is None:  # forgotten by the retention purge
            await interaction.followup.send("That question is too old to look up again.", ephemeral=True)
            return
        answer = await bot.answer(question, interaction.guild_id, MORE_SOURCES_K)
        await interaction.followup.send(
            embed=render.more_sources_embed(answer), ephemeral=True, allowed_mentions=NONE
        )


class DeleteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"qa:delete:(?P<asker>\d+)"):
    def __init__(self, asker_id: int) -> None:
        self.asker_id = asker_id
        super().__init__(
            discord.ui.Button(
                emoji="🗑️", label="Delete", style=discord.ButtonStyle.danger, custom_id=f"qa:delete:{asker_id}"
            )
        )

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any, match: Any) -> DeleteButton:
        return cls(int(match["asker"]))

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        if interaction.user.id != self.asker_id and not await bot.is_moderator_here(interaction):
            raise NotModerator()
        await interaction.response.defer()
        # The original response of a button press is the message the button is on, ephemeral or not.
        await interaction.delete_original_response()
        log.info(
            "answer message %s deleted by %s",
            getattr(interaction.message, "id", "?"),
            bot.user_ref(interaction.user.id),
        )


class ArticlePageButton(
    discord.ui.DynamicItem[discord.ui.Button],
    # ":server" pages through the server's own collection; without it, the base (as before collections).
    template=r"qa:articles:(?P<page>\d+):(?P<way>prev|next)(?::(?P<server>server))?",
):
    def __init__(self, page: int, way: str, disabled: bool = False, server: bool = False) -> None:
        self.page = page
        self.server = server
        super().__init__(
            discord.ui.Button(
                label="◀ Previous" if way == "prev" else "Next ▶",
                style=discord.ButtonStyle.secondary,
                custom_id=f"qa:articles:{page}:{way}" + (":server" if server else ""),
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Any, match: Any
    ) -> ArticlePageButton:
        return cls(int(match["page"]), match["way"], server=bool(match["server"]))

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        if not await bot.is_moderator_here(interaction):
            raise NotModerator()
        if self.server and interaction.guild_id is not None:
            articles = await asyncio.to_thread(bot.server_articles, interaction.guild_id)
        else:
            articles = bot.kb.articles()
        await interaction.response.edit_message(**article_page(articles, self.page, self.server))


def answer_view(question_id: int, asker_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton("up", question_id))
    view.add_item(VoteButton("down", question_id))
    view.add_item(MoreSourcesButton(question_id))
    view.add_item(DeleteButton(asker_id))
    return view


def answer_reply(answer: Answer, question_id: int, asker_id: int) -> dict[str, Any]:
    """Keyword arguments for sending an answer: an embed when answered, plain words when not."""
    if answer.answered:
        content, embed = None, render.answer_embed(answer)
    else:
        content, embed = render.no_answer_text(answer), None
    kwargs: dict[str, Any] = {"view": answer_view(question_id, asker_id), "allowed_mentions": NONE}
    if content is not None:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    return kwargs


def article_page(articles: list, page: int, server: bool = False) -> dict[str, Any]:
    """A page of the base's articles, or with `server` of the server's own collection."""
    pages = render.page_count(len(articles))
    page = max(0, min(page, pages - 1))
    view = discord.ui.View(timeout=None)
    view.add_item(ArticlePageButton(max(page - 1, 0), "prev", disabled=page == 0, server=server))
    view.add_item(
        ArticlePageButton(min(page + 1, pages - 1), "next", disabled=page >= pages - 1, server=server)
    )
    title = "This server's collection" if server else "Knowledge base"
    return {"embed": render.article_page(articles, page, title=title), "view": view, "allowed_mentions": NONE}


DYNAMIC_ITEMS = (VoteButton, MoreSourcesButton, DeleteButton, ArticlePageButton)
