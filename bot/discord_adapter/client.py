"""QABot: the discord.py bot, built from a KnowledgeBase, a Storage and settings made by the entry point."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import discord
from discord.ext import commands

from bot.core.answer import Answer
from bot.core.collections import Collections
from bot.core.service import Article, KnowledgeBase
from bot.discord_adapter import errors, views
from bot.discord_adapter.batcher import AskBatcher
from bot.discord_adapter.command_sync import sync_commands
from bot.discord_adapter.cooldown import AskCooldown
from bot.discord_adapter.guilds import GuildConfigs, scope
from bot.errors import ShardConfigError, shown_location
from bot.guild_data import forget_expired
from bot.guild_settings import GuildSettings
from bot.settings import CoreSettings, DiscordSettings
from bot.sources.scoped import CollectionSources
from bot.sources.service import SourceService
from bot.storage import Storage
from bot.wiring import open_collections

log = logging.getLogger(__name__)

COGS = (
    "bot.discord_adapter.cogs.ask",
    "bot.discord_adapter.cogs.channels",
    "bot.discord_adapter.cogs.moderation",
    "bot.discord_adapter.cogs.config",
    "bot.discord_adapter.cogs.departures",
    "bot.discord_adapter.cogs.help",
    "bot.discord_adapter.cogs.index_refresh",
    "bot.discord_adapter.cogs.source_schedule",
)
PURGE_EVERY = 12 * 3600.0  # seconds; retention is counted in days, so twice a day is plenty


@dataclass(frozen=True)
class Asked:
    """An answered question and the id it was logged under (the answer's buttons carry the id)."""

    answer: Answer
    question_id: int


def intents() -> discord.Intents:
    # message_content (privileged): mentions are readable anyway, but help-channel posts are not.
    wanted = discord.Intents.default()
    wanted.message_content = True
    wanted.members = wanted.presences = False
    return wanted


class QABot(commands.Bot):
    def __init__(
        self,
        kb: KnowledgeBase,
        storage: Storage,
        core_settings: CoreSettings,
        discord_settings: DiscordSettings,
        *,
        force_sync: bool = False,
        collections: Collections | None = None,
        sources: SourceService | None = None,
        sync_interval_minutes: int = 0,
        max_sources_per_server: int | None = 5,  # QABOT_MAX_SOURCES_PER_SERVER; the runner passes it
        **options: object,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # required by commands.Bot; prefix commands are unused
            intents=intents(),
            help_command=None,
            allowed_mentions=errors.NONE,
            **options,
        )
        self.kb = kb
        self.storage = storage
        self.core_settings = core_settings
        self.discord_settings = discord_settings
        self.force_sync = force_sync  # `qabot sync-commands`: send the commands even if unchanged
        self.collections = collections or open_collections(core_settings, kb, discord_settings.database_path)
        self.guild_configs = GuildConfigs(
            storage, core_settings, discord_settings, ttl=discord_settings.index_poll_seconds
        )
        # Outside servers (DMs): the environment's cooldown; in a server, its own (guild_configs).
        # /kb source and the scheduled sync: the base's sources and each server collection's (beside its
        # articles, so they go where the collection goes); None where sources are not set up.
        self.sources = (
            None
            if sources is None
            else CollectionSources(
                sources, self.collections.root, max_sources_per_server, self.collections.quota
            )
        )
        self.sync_interval_minutes = sync_interval_minutes  # 0: no scheduled sync
        self.ask_cooldown = AskCooldown(discord_settings.cooldown_rate, discord_settings.cooldown_seconds)
        self.batcher = AskBatcher(self.collections)
        # In-process guard: a second reindex of a collection is refused at once instead of queueing
        # behind the first; reindex_lock is the base's, reindex_locks[guild id] a server collection's.
        self.reindex_lock = asyncio.Lock()
        self.reindex_locks: dict[int, asyncio.Lock] = {}
        self._purger: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        for cog in COGS:
            await self.load_extension(cog)
        self.add_dynamic_items(*views.DYNAMIC_ITEMS)
        self.tree.on_error = errors.on_app_command_error
        self._purger = asyncio.create_task(self._purge_forever(), name="qabot-retention-purge")
        await sync_commands(
            self.tree,
            self.discord_settings.database_path.parent,
            self.discord_settings.dev_guild_id,
            force=self.force_sync,
        )

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: questions are handled by the channels cog's listener."""

    async def on_ready(self) -> None:
        log.info(
            "connected as %s (%s) to %d guilds on shards %s of %s",
            self.user,
            getattr(self.user, "id", "?"),
            len(self.guilds),
            sorted(getattr(self, "shards", {})) or [self.shard_id or 0],
            self.shard_count or 1,
        )

    async def close(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
        await self.batcher.close()
        await super().close()

    async def _purge_forever(self) -> None:
        while True:
            try:
                await self.purge_once()
            except Exception:
                log.exception("retention purge failed; will try again")
            await asyncio.sleep(PURGE_EVERY)

    async def purge_once(self) -> None:
        """Forget questions past the retention period, and every trace of servers left that long ago."""
        removed = await asyncio.to_thread(self.storage.purge)
        log.info("retention: forgot %d questions older than %d days", removed, self.storage.retention_days)
        forgotten, failures = await asyncio.to_thread(forget_expired, self.storage, self.collections.delete)
        for guild_id in forgotten:
            log.info("retention: deleted the data of server %s, which the bot left long ago", guild_id)
        for failure in failures:
            log.warning("retention: could not delete the data of %s; tried again at the next purge", failure)

    # -- used by the cogs ---------------------------------------------------------------------
    async def answer(self, question: str, guild_id: int | None, k: int | None = None) -> Answer:
        """Answer as the server would (its collection, the base, its settings), batched off the loop."""
        settings = await self.guild_configs.get(guild_id)
        return await self.batcher.ask(question, k, scope(guild_id, settings))

    async def ask(self, question: str, user_id: int, guild_id: int | None, channel_id: int | None) -> Asked:
        """Answer (batched, off the event loop) and log the question."""
        answer = await self.answer(question, guild_id)
        top = answer.sources[0].path if answer.sources else None
        question_id = await asyncio.to_thread(
            self.storage.log_question,
            answer.question,
            user_id,
            guild_id,
            channel_id,
            answer.answered,
            answer.confidence,
            top,
        )
        return Asked(answer, question_id)

    def is_moderator(
        self,
        user: discord.abc.User,
        permissions: discord.Permissions | None = None,
        settings: GuildSettings | None = None,
    ) -> bool:
        """The server's moderator roles (its /config, else the environment's), or Manage Server (which
        administrators have too). A member is a moderator only of the server they are a member of."""
        if not isinstance(user, discord.Member):
            return False
        perms = permissions if permissions is not None else user.guild_permissions
        if perms.manage_guild or perms.administrator:
            return True
        wanted = (settings or self.guild_configs.default).moderator_role_ids
        # Never @everyone (its id is the server's), whatever was stored or set in the environment.
        return any(role.id in wanted for role in user.roles if not role.is_default())

    async def is_moderator_here(self, interaction: discord.Interaction) -> bool:
        """is_moderator with the settings of the server the interaction comes from."""
        settings = await self.guild_configs.get(interaction.guild_id)
        return self.is_moderator(interaction.user, interaction.permissions, settings)

    async def moderators_only(self, interaction: discord.Interaction, group: str, options: dict) -> bool:
        """A moderator command's gate: True for the server's moderators; anyone else is audited as refused
        and gets NotModerator, which the error handler words."""
        if await self.is_moderator_here(interaction):
            return True
        command = interaction.command.qualified_name if interaction.command else group
        await self.audit(interaction, command, options, "refused: not a moderator")
        raise errors.NotModerator()

    def server_articles(self, guild_id: int) -> list[Article]:
        """The articles of the server's own collection (none without one); loads it: call off the loop."""
        kb = self.collections.loaded(guild_id)
        return kb.articles() if kb is not None else []

    async def cooldown_for(self, guild_id: int | None) -> AskCooldown:
        """The question cooldown in force where a question is asked (the server's, or the default's)."""
        if guild_id is None:
            return self.ask_cooldown
        settings = await self.guild_configs.get(guild_id)
        return self.guild_configs.cooldown(guild_id, settings)

    def reindex_lock_for(self, guild_id: int | None) -> asyncio.Lock:
        """The lock of the base (None) or of one server's collection."""
        if guild_id is None:
            return self.reindex_lock
        return self.reindex_locks.setdefault(guild_id, asyncio.Lock())

    def user_ref(self, user_id: int) -> str:
        """How logs name a user: a prefix of the salted hash the database stores, never the raw id."""
        return f"user:{self.storage.hash_user(user_id)[:16]}"

    async def audit(self, interaction: discord.Interaction, action: str, args: dict, result: str) -> None:
        """Record and log a moderator action (who, what, with what, how it went). The display name is
        kept only where the operator opted in (QABOT_AUDIT_MODERATOR_NAMES)."""
        user = interaction.user
        name = str(user) if self.discord_settings.audit_moderator_names else None
        who = self.user_ref(user.id) + (f" ({name})" if name else "")
        # A source's URL may carry a password (refused, but the attempt is audited): never kept or logged.
        args = {key: shown_location(v) if isinstance(v, str) and "://" in v else v for key, v in args.items()}
        log.info("moderator action by %s: %s %s -> %s", who, action, args, result)
        await asyncio.to_thread(self.storage.audit, user.id, name, interaction.guild_id, action, args, result)


class ShardedQABot(QABot, commands.AutoShardedBot):
    """The same bot over one or more gateway shards (discord.py's AutoShardedBot)."""

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("shard %d of %s ready", shard_id, self.shard_count)


def shard_options(settings: DiscordSettings) -> dict[str, object]:
    """discord.py's shard options for this process.

    Both settings: exactly those shards of shard_count. Only the count: every shard of it. Neither: {},
    so AutoShardedBot asks Discord for its recommended count (GET /gateway/bot).
    """
    count, ids = settings.shard_count, list(settings.shard_ids)
    if not ids:
        return {"shard_count": count} if count else {}
    invalid = ids if count is None else [i for n, i in enumerate(ids) if not 0 <= i < count or i in ids[:n]]
    if invalid:
        raise ShardConfigError(ids, count, invalid)
    return {"shard_count": count, "shard_ids": ids}


def create_bot(
    kb: KnowledgeBase,
    storage: Storage,
    core_settings: CoreSettings,
    discord_settings: DiscordSettings,
    **options: object,
) -> QABot:
    """Always the autosharded bot: with one shard it costs nothing, and a deployment can grow to several."""
    for name, value in shard_options(discord_settings).items():
        options.setdefault(name, value)
    return ShardedQABot(kb, storage, core_settings, discord_settings, **options)
