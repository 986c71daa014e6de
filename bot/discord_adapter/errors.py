"""The one place where the Discord side turns errors into words.

Slash commands and context menus reach `on_app_command_error` (installed as the tree's handler);
buttons and message listeners call `send_error` / `describe` themselves. Unexpected errors are logged
with their traceback and answered with a short apology; the user never sees a traceback.
"""

from __future__ import annotations

import logging
import time

import discord
from discord import app_commands

from bot.discord_adapter.render import CONTENT_LIMIT, trim
from bot.errors import (
    IndexBusy,
    IndexError_,
    NoCollection,
    QABotError,
    QuestionError,
    QuotaExceeded,
    SourceError,
    UnknownArticle,
    UploadRefused,
)

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
APOLOGY = "Sorry, something went wrong on my side. The moderators can find the details in the bot's log."


class NotModerator(app_commands.CheckFailure):
    """A non-moderator used a moderator command or button."""


def describe(error: BaseException) -> str | None:
    """Words for an error the user can act on; None for a bug (which gets the apology)."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, app_commands.CommandOnCooldown):
        retry_at = int(time.time() + error.retry_after) + 1
        return f"You're asking a lot at once. Try again <t:{retry_at}:R> (in {error.retry_after:.0f} s)."
    if isinstance(error, NotModerator):
        return "Only moderators can do that. Nothing was changed."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That only works in a server."
    if isinstance(error, IndexBusy):
        return "A reindex is already running. Try again when it has finished; nothing was changed."
    if isinstance(
        error, UploadRefused | UnknownArticle | QuestionError | NoCollection | SourceError | QuotaExceeded
    ):
        return str(error)[:1].upper() + str(error)[1:]
    if isinstance(error, IndexError_):
        return f"The index can't be used: {error}"
    if isinstance(error, QABotError):
        return str(error)
    return None


def _who(interaction: discord.Interaction) -> str:
    """The user as the logs name them (a salted hash, see QABot.user_ref), never the raw id."""
    user_ref = getattr(interaction.client, "user_ref", None)
    return user_ref(interaction.user.id) if user_ref else "a user"


async def send_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer an interaction with the error's words (ephemeral where Discord lets us choose)."""
    text = describe(error)
    if text is None:
        log.exception("unexpected error in %s", _what(interaction), exc_info=error)
        text = APOLOGY
    else:
        log.info("refused %s for %s: %s", _what(interaction), _who(interaction), text)
    text = trim(text, CONTENT_LIMIT)  # an error quoting 6,000 characters of input would not be sent at all
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)
    except discord.HTTPException as http_error:  # e.g. the interaction expired; nothing left to tell
        log.warning("could not report an error to the user: %s", http_error)


async def on_app_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    await send_error(interaction, error)


def _what(interaction: discord.Interaction) -> str:
    command = interaction.command
    if command is not None:
        return f"/{command.qualified_name}"
    data = interaction.data or {}
    return f"component {data.get('custom_id', '?')}"


async def reply_error(message: discord.Message, error: BaseException) -> None:
    """For questions asked by message (mention, help channel): a short reply, or the apology."""
    text = describe(error)
    if text is None:
        log.exception("unexpected error answering message %s", message.id, exc_info=error)
        text = APOLOGY
    text = trim(text, CONTENT_LIMIT)
    try:
        await message.reply(text, allowed_mentions=NONE, mention_author=False)
    except discord.HTTPException as http_error:
        log.warning("could not report an error to the user: %s", http_error)
