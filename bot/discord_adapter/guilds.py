"""Each server's settings in force, cached, and its own question cooldown.

Settings are read from SQLite off the event loop and kept for `ttl` seconds (QABOT_INDEX_POLL_SECONDS),
so a /config change made through another shard's process reaches this one as soon as an index change
does; a change made here is seen at once (invalidate).
"""

from __future__ import annotations

import asyncio
import time

from bot.core.collections import Scope
from bot.discord_adapter.cooldown import AskCooldown
from bot.guild_settings import GuildSettings, defaults, resolve
from bot.settings import CoreSettings, DiscordSettings
from bot.storage import Storage


class GuildConfigs:
    """`await configs.get(guild_id)` -> the GuildSettings in force there (the defaults outside servers)."""

    def __init__(self, storage: Storage, core: CoreSettings, discord: DiscordSettings, ttl: float) -> None:
        self.storage = storage
        self.core = core
        self.discord = discord
        self.ttl = ttl
        self.default = defaults(core, discord)
        self._cached: dict[int, tuple[float, GuildSettings]] = {}
        self._cooldowns: dict[int | None, tuple[tuple[int, float], AskCooldown]] = {}

    async def get(self, guild_id: int | None) -> GuildSettings:
        if guild_id is None:
            return self.default
        cached = self._cached.get(guild_id)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        settings = await asyncio.to_thread(self._read, guild_id)
        self._cached[guild_id] = (time.monotonic(), settings)
        return settings

    def _read(self, guild_id: int) -> GuildSettings:
        stored = self.storage.guild_settings(guild_id)
        return resolve(stored, self.storage.hidden_articles(guild_id), self.core, self.discord)

    def invalidate(self, guild_id: int | None) -> None:
        self._cached.pop(guild_id, None)  # type: ignore[arg-type]

    def cooldown(self, guild_id: int | None, settings: GuildSettings) -> AskCooldown:
        """The server's cooldown (one per user there, however they ask); remade when its rate changes."""
        wanted = (settings.cooldown_rate, settings.cooldown_seconds)
        held = self._cooldowns.get(guild_id)
        if held is None or held[0] != wanted:
            held = (wanted, AskCooldown(*wanted))
            self._cooldowns[guild_id] = held
        return held[1]


def scope(guild_id: int | None, settings: GuildSettings) -> Scope:
    """What a question in the server is answered from. A threshold the server did not set stays None, so
    a server without a collection or changes gets exactly the single-collection answers."""
    threshold = settings.threshold if "threshold" in settings.changed else None
    return Scope(guild_id, settings.use_base, settings.hidden_base, threshold)
