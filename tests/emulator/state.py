"""In-memory Discord world: users, guilds, roles, channels, members, messages.

Objects are small dataclasses whose ``payload()`` renders them the way the
real API does, so discord.py's parsers see realistic shapes.  Everything is
keyed by int snowflakes; payloads carry ids as strings, like Discord.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
THREAD_TYPES = (10, 11, 12)

# Permission bits used by the emulator's own checks / defaults.
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1  # what the owner / admins get
# Roughly Discord's default @everyone permissions (view, send, threads, embeds,
# files, reactions, history, external emoji, app commands, invites, voice).
DEFAULT_EVERYONE = (
    (1 << 0)
    | (1 << 6)
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 18)
    | (1 << 20)
    | (1 << 21)
    | (1 << 26)
    | (1 << 31)
    | (1 << 35)
    | (1 << 36)
    | SEND_MESSAGES_IN_THREADS
)
# Bot role default: everyone's + manage messages/threads, so typical bot work is allowed.
DEFAULT_BOT = DEFAULT_EVERYONE | (1 << 13) | (1 << 34)


def iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class SnowflakeGenerator:
    """Real-format snowflakes (ms since Discord epoch << 22), strictly increasing."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(candidate, self._last + 1)
        return self._last


@dataclass
class User:
    id: int
    name: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "hoist": False,
            "managed": self.managed,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        }


@dataclass
class Channel:
    id: int
    guild_id: int | None
    name: str
    type: int = 0
    parent_id: int | None = None
    owner_id: int | None = None  # threads only
    position: int = 0
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    topic: str | None = None
    last_message_id: int | None = None
    message_count: int = 0
    created_at: str = field(default_factory=iso_now)

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    def payload(self) -> dict[str, Any]:
        p: dict[str, Any] = {
            "id": str(self.id),
            "guild_id": str(self.guild_id) if self.guild_id else None,
            "name": self.name,
            "type": self.type,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "rate_limit_per_user": 0,
            "nsfw": False,
            "flags": 0,
        }
        if self.is_thread:
            p.update(
                owner_id=str(self.owner_id),
                message_count=self.message_count,
                member_count=1,
                total_message_sent=self.message_count,
                applied_tags=[],
                thread_metadata={
                    "archived": False,
                    "locked": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": self.created_at,
                    "create_timestamp": self.created_at,
                },
            )
            return p
        p.update(position=self.position, permission_overwrites=self.overwrites, topic=self.topic)
        if self.type in (15, 16):  # forum / media
            p.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_thread_rate_limit_per_user=0,
            )
        elif self.type in (2, 13):  # voice / stage
            p.update(bitrate=64000, user_limit=0, rtc_region=None)
        else:
            p.update(default_auto_archive_duration=1440)
        return p


@dataclass
class Member:
    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)
    nick: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    def payload(self, with_user: bool = True) -> dict[str, Any]:
        p = {
            "roles": [str(r) for r in self.roles],
            "joined_at": self.joined_at,
            "flags": 0,
            "deaf": False,
            "mute": False,
            "nick": self.nick,
            "avatar": None,
            "pending": False,
            "premium_since": None,
            "communication_disabled_until": None,
        }
        if with_user:
            p["user"] = self.user.payload()
        return p


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)  # includes threads
    members: dict[int, Member] = field(default_factory=dict)
    joined_at: str = field(default_factory=iso_now)

    def payload(self) -> dict[str, Any]:
        """REST shape (GET /guilds/{id}): no channels/members."""
        return {
            "id": str(self.id),
            "name": self.name,
            "owner_id": str(self.owner_id),
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [r.payload() for r in self.roles.values()],
            "afk_timeout": 300,
            "afk_channel_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "vanity_url_code": None,
            "application_id": None,
            "max_members": 500000,
            "widget_enabled": False,
            "incidents_data": None,
        }

    def gateway_payload(self, include_all_members: bool) -> dict[str, Any]:
        """GUILD_CREATE shape.  Like Discord, members are only all sent with the
        GUILD_MEMBERS intent (else just the bot); member_count is always the real total,
        which equals what was sent whenever discord.py could decide to chunk."""
        p = self.payload()
        members = [m for m in self.members.values() if include_all_members or m.user.bot]
        p.update(
            channels=[c.payload() for c in self.channels.values() if not c.is_thread],
            threads=[c.payload() for c in self.channels.values() if c.is_thread],
            members=[m.payload() for m in members],
            member_count=len(self.members),
            large=False,
            unavailable=False,
            joined_at=self.joined_at,
            voice_states=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return p


def compute_permissions(guild: Guild, user_id: int, channel: Channel | None = None) -> int:
    """Discord's algorithm: owner/admin -> all; roles OR'd; then channel overwrites
    (@everyone, roles, member).  Threads use their parent's overwrites."""
    member = guild.members.get(user_id)
    if member is None:
        return 0
    if user_id == guild.owner_id:
        return ALL_PERMISSIONS
    perms = guild.roles[guild.id].permissions
    for rid in member.roles:
        perms |= guild.roles[rid].permissions if rid in guild.roles else 0
    if perms & ADMINISTRATOR:
        return ALL_PERMISSIONS
    if channel is not None and channel.is_thread and channel.parent_id in guild.channels:
        channel = guild.channels[channel.parent_id]
    if channel is None:
        return perms
    ows = {int(o["id"]): o for o in channel.overwrites}
    if guild.id in ows:
        perms = (perms & ~int(ows[guild.id]["deny"])) | int(ows[guild.id]["allow"])
    allow = deny = 0
    for rid in member.roles:
        if rid in ows:
            allow |= int(ows[rid]["allow"])
            deny |= int(ows[rid]["deny"])
    perms = (perms & ~deny) | allow
    if user_id in ows:
        perms = (perms & ~int(ows[user_id]["deny"])) | int(ows[user_id]["allow"])
    return perms


MENTION_RE = re.compile(r"<@!?(\d+)>")
IdLike = int | str | User | Member | Role | Channel | Guild


def as_id(obj: IdLike) -> int:
    return int(getattr(obj, "id", obj))
