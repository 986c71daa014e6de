"""One cooldown per user for every way of asking: /ask, the message command, mentions and help posts.

Separate buckets per entry point would let a user ask RATE questions by /ask and RATE more by mention in
the same window. The buckets are discord.py's own (`CooldownMapping`), keyed by the user's id so that an
interaction and a message from the same person land in the same one.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands


def _user_id(user_id: int) -> int:
    return user_id


class AskCooldown:
    """At most `rate` questions per user per `per` seconds, however they are asked."""

    def __init__(self, rate: int, per: float) -> None:
        self._buckets = commands.CooldownMapping(commands.Cooldown(rate, per), _user_id)

    def retry_after(self, user_id: int) -> float | None:
        """Count one question; the seconds to wait when it is one too many, else None."""
        try:
            self.take(user_id)
        except app_commands.CommandOnCooldown as refused:
            return refused.retry_after
        return None

    def take(self, user_id: int) -> None:
        """Count one question; raises CommandOnCooldown (which the error handler words) when too many."""
        bucket = self._buckets.get_bucket(user_id)
        retry_after = bucket.update_rate_limit() if bucket is not None else None
        if bucket is not None and retry_after:
            raise app_commands.CommandOnCooldown(bucket, retry_after)


async def ask_check(interaction: discord.Interaction) -> bool:
    """An app-command check for the commands that ask: counts against the asker's shared cooldown in
    the server (each server sets its own rate)."""
    cooldown = await interaction.client.cooldown_for(interaction.guild_id)  # type: ignore[attr-defined]
    cooldown.take(interaction.user.id)
    return True
