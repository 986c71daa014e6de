"""The emulator's world: setup helpers plus message storage, shared by REST and dispatch code.

``World`` is a mixin of :class:`DiscordEmulator`; it never touches the network.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .state import (
    DEFAULT_BOT,
    DEFAULT_EVERYONE,
    MENTION_RE,
    Channel,
    Guild,
    IdLike,
    Member,
    Role,
    SnowflakeGenerator,
    User,
    as_id,
    iso_now,
)


class World:
    base_url: str  # set by DiscordEmulator.start(); used for attachment URLs

    def __init__(self, bot_name: str = "qabot") -> None:
        self.snowflake = SnowflakeGenerator()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}  # every channel incl. threads, by id
        self.messages: dict[int, dict[str, Any]] = {}  # message payloads by id (deleted ones removed)
        self.attachments: dict[int, tuple[str, bytes, str]] = {}  # id -> (filename, data, content_type)
        self.bot_user = self.add_user(bot_name, bot=True)
        self.application_id = self.bot_user.id  # Discord: bot user id == application id
        self.app_owner = self.add_user(f"{bot_name}-owner")

    # ----------------------------------------------------------------- setup helpers
    def add_user(self, name: str, bot: bool = False) -> User:
        user = User(self.snowflake(), name, bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        owner: IdLike | None = None,
        *,
        everyone_permissions: int = DEFAULT_EVERYONE,
        bot_permissions: int = DEFAULT_BOT,
    ) -> Guild:
        """Creates the guild with its @everyone role (id == guild id), an owner member
        (a new user unless given) and the bot as member holding a managed bot role."""
        owner_user = self.users[as_id(owner)] if owner is not None else self.add_user(f"{name}-owner")
        guild = Guild(self.snowflake(), name, owner_user.id)
        self.guilds[guild.id] = guild
        guild.roles[guild.id] = Role(guild.id, guild.id, "@everyone", everyone_permissions)
        bot_role = self.add_role(guild.id, self.bot_user.name, bot_permissions)
        bot_role.managed = True
        self.add_member(guild.id, owner_user)
        self.add_member(guild.id, self.bot_user, roles=[bot_role])
        return guild

    def add_role(self, guild_id: IdLike, name: str, permissions: int = 0) -> Role:
        guild = self.guilds[as_id(guild_id)]
        role = Role(self.snowflake(), guild.id, name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        return role

    def add_member(self, guild_id: IdLike, user: IdLike, roles: Iterable[IdLike] = ()) -> Member:
        guild = self.guilds[as_id(guild_id)]
        member = Member(self.users[as_id(user)], guild.id, [as_id(r) for r in roles])
        guild.members[member.user.id] = member
        return member

    def add_channel(
        self,
        guild_id: IdLike,
        name: str,
        type: int = 0,
        *,
        parent_id: IdLike | None = None,
        owner_id: IdLike | None = None,
        overwrites: list[dict[str, Any]] | None = None,
        channel_id: int | None = None,
    ) -> Channel:
        """Adds a channel (0 text, 2 voice, 4 category, 15 forum, 11/12 thread) without
        dispatching anything; use before the client connects or call dispatch yourself."""
        guild = self.guilds[as_id(guild_id)]
        channel = Channel(
            channel_id or self.snowflake(),
            guild.id,
            name,
            type,
            parent_id=as_id(parent_id) if parent_id is not None else None,
            owner_id=as_id(owner_id) if owner_id is not None else None,
            position=len(guild.channels),
            overwrites=list(overwrites or []),
        )
        if channel.is_thread and channel.owner_id is None:
            channel.owner_id = self.bot_user.id
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def add_attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        description: str | None = None,
    ) -> dict[str, Any]:
        """Stores a downloadable file (served at /attachments/{id}/{filename}); returns
        the attachment payload used in messages and resolved slash-command options."""
        if not self.base_url:
            raise RuntimeError("start() the emulator before adding attachments: their URLs point at it")
        att_id = self.snowflake()
        self.attachments[att_id] = (filename, data, content_type)
        url = f"{self.base_url}/attachments/{att_id}/{filename}"
        payload = {
            "id": str(att_id),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }
        if description:
            payload["description"] = description
        return payload

    # ----------------------------------------------------------------- lookups
    def guild_of(self, channel_id: IdLike) -> Guild | None:
        channel = self.channels.get(as_id(channel_id))
        return self.guilds.get(channel.guild_id) if channel and channel.guild_id else None

    def messages_in(self, channel_id: IdLike) -> list[dict[str, Any]]:
        """Live messages of a channel, oldest first."""
        cid = str(as_id(channel_id))
        return sorted(
            (m for m in self.messages.values() if m["channel_id"] == cid), key=lambda m: int(m["id"])
        )

    def member_payload(self, guild_id: int, user_id: int, with_user: bool = True) -> dict[str, Any] | None:
        guild = self.guilds.get(guild_id)
        member = guild.members.get(user_id) if guild else None
        return member.payload(with_user) if member else None

    # ----------------------------------------------------------------- messages
    def new_message(
        self,
        channel_id: IdLike,
        author: IdLike,
        content: str = "",
        *,
        msg_id: int | None = None,
        mentions: Iterable[IdLike] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Builds and stores a full message payload (REST shape, plus guild_id).
        ``mentions`` defaults to the <@id> mentions found in the content."""
        channel = self.channels[as_id(channel_id)]
        user = self.users[as_id(author)]
        mention_ids = (
            [as_id(m) for m in mentions]
            if mentions is not None
            else [int(x) for x in MENTION_RE.findall(content) if int(x) in self.users]
        )
        msg: dict[str, Any] = {
            "id": str(msg_id or self.snowflake()),
            "channel_id": str(channel.id),
            "author": user.payload(),
            "content": content,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": "@everyone" in content,
            "mentions": [self.users[u].payload() for u in mention_ids],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "reactions": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if channel.guild_id:
            msg["guild_id"] = str(channel.guild_id)
        msg.update(fields)
        self.messages[int(msg["id"])] = msg
        channel.last_message_id = int(msg["id"])
        channel.message_count += 1
        return msg

    def apply_message_payload(
        self,
        msg: dict[str, Any],
        body: dict[str, Any] | None,
        files: list[dict[str, Any]],
        edit: bool = False,
    ) -> dict[str, Any]:
        """Applies a create/edit JSON body (+ uploaded files) from the bot onto ``msg``."""
        body = body or {}
        for key, empty in (("content", ""), ("embeds", []), ("components", [])):
            if key in body:  # explicit null clears, like Discord
                msg[key] = body[key] if body[key] is not None else empty
        for key in ("tts", "poll"):
            if body.get(key) is not None:
                msg[key] = body[key]
        if "flags" in body and body["flags"] is not None:
            msg["flags"] = (msg.get("flags", 0) & 64) | int(body["flags"])  # ephemeral can't be toggled
        if "content" in body and body["content"] is not None:
            msg["mentions"] = [
                self.users[int(u)].payload()
                for u in MENTION_RE.findall(body["content"])
                if int(u) in self.users
            ]
        if "attachments" in body or files:
            # Existing attachments are kept only when listed (by id); uploads map to files[n].
            kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
            atts = [a for a in msg["attachments"] if a["id"] in kept_ids] if edit else []
            for f in files:
                atts.append(self.add_attachment(f["filename"] or "file", f["data"], f["content_type"]))
            msg["attachments"] = atts
        if edit:
            msg["edited_timestamp"] = iso_now()
        ref = body.get("message_reference")
        if ref and ref.get("message_id") and int(ref["message_id"]) in self.messages:
            ref = {k: str(v) if k.endswith("_id") and v is not None else v for k, v in ref.items()}
            msg.update(
                type=19,
                message_reference={**ref, "channel_id": ref.get("channel_id") or msg["channel_id"]},
                referenced_message=self.messages[int(ref["message_id"])],
            )
        return msg
