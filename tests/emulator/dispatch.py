"""Gateway-side actions: dispatching events for REST writes, and making "users" post
messages, react, open threads and forum posts.

A mixin of :class:`DiscordEmulator`; relies on World (state) and ``self.gateway``.
"""

from __future__ import annotations

from typing import Any

from .channels import EPHEMERAL, parse_emoji
from .state import Channel, IdLike, as_id


class Dispatcher:
    # ------------------------------------------------------------------ gateway plumbing
    async def dispatch(self, event: str, data: dict[str, Any], guild_id: int | None = None) -> int:
        """Raw event to the shard owning ``guild_id``; raises if no client is connected there."""
        return await self.gateway.dispatch(event, data, guild_id, required=True)

    def _gateway_message(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Gateway messages carry the author's ``member`` and members inside ``mentions``."""
        data = dict(msg)
        if "guild_id" in msg:
            gid = int(msg["guild_id"])
            member = self.member_payload(gid, int(msg["author"]["id"]), with_user=False)
            if member and not msg.get("webhook_id"):
                data["member"] = member
            data["mentions"] = [
                {**u, **({"member": m} if (m := self.member_payload(gid, int(u["id"]), False)) else {})}
                for u in msg["mentions"]
            ]
        return data

    async def dispatch_message_event(self, event: str, msg: dict[str, Any], required: bool = False) -> int:
        if msg.get("flags", 0) & EPHEMERAL:  # ephemeral messages never reach the gateway
            return 0
        gid = int(msg["guild_id"]) if "guild_id" in msg else None
        return await self.gateway.dispatch(event, self._gateway_message(msg), gid, required)

    async def delete_message(self, message_id: IdLike) -> None:
        msg = self.messages.pop(as_id(message_id))
        data = {"id": msg["id"], "channel_id": msg["channel_id"]}
        if "guild_id" in msg:
            data["guild_id"] = msg["guild_id"]
        await self.gateway.dispatch("MESSAGE_DELETE", data, int(msg.get("guild_id", 0)) or None)

    async def set_reaction(self, message_id: IdLike, user_id: IdLike, emoji: str, add: bool = True) -> None:
        """Adds/removes one user's reaction, keeps ``message['reactions']`` right (with
        ``me`` relative to the bot) and dispatches MESSAGE_REACTION_ADD/REMOVE."""
        msg, uid = self.messages[as_id(message_id)], as_id(user_id)
        users = self.reactions.setdefault((int(msg["id"]), emoji), set())
        if (uid in users) == add:
            return  # no-op, like Discord
        (users.add if add else users.discard)(uid)
        emoji_payload = parse_emoji(emoji)
        msg["reactions"] = [
            {
                "emoji": parse_emoji(e),
                "count": len(us),
                "me": self.bot_user.id in us,
                "me_burst": False,
                "burst_colors": [],
                "count_details": {"normal": len(us), "burst": 0},
            }
            for (mid, e), us in self.reactions.items()
            if mid == int(msg["id"]) and us
        ]
        data: dict[str, Any] = {
            "user_id": str(uid),
            "channel_id": msg["channel_id"],
            "message_id": msg["id"],
            "emoji": emoji_payload,
            "burst": False,
            "type": 0,
        }
        gid = int(msg["guild_id"]) if "guild_id" in msg else None
        if gid:
            data["guild_id"] = str(gid)
            if add:
                data.update(member=self.member_payload(gid, uid), message_author_id=msg["author"]["id"])
        await self.gateway.dispatch("MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", data, gid)

    async def dispatch_thread_create(self, thread: Channel) -> None:
        await self.gateway.dispatch(
            "THREAD_CREATE", {**thread.payload(), "newly_created": True}, thread.guild_id
        )

    # ------------------------------------------------------------------ users doing things
    async def create_user_message(
        self,
        channel_id: IdLike,
        author: IdLike,
        content: str = "",
        *,
        mentions: list[IdLike] | None = None,
        attachments: list[dict] | None = None,
        reply_to: IdLike | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Stores a message from ``author`` and dispatches MESSAGE_CREATE; returns its payload.
        ``attachments`` are payloads from :meth:`add_attachment`."""
        msg = self.new_message(
            channel_id, author, content, mentions=mentions, attachments=attachments or [], **fields
        )
        if reply_to is not None:
            self.apply_message_payload(msg, {"message_reference": {"message_id": str(as_id(reply_to))}}, [])
        await self.dispatch_message_event("MESSAGE_CREATE", msg, required=True)
        return msg

    async def add_user_reaction(self, message_id: IdLike, user: IdLike, emoji: str) -> None:
        await self.set_reaction(message_id, user, emoji, True)

    async def create_thread_channel(
        self,
        parent_id: IdLike,
        name: str,
        owner: IdLike | None = None,
        type: int = 11,
        message_id: IdLike | None = None,
    ) -> Channel:
        """A user opens a thread (from ``message_id`` if given: same id, like Discord)."""
        parent = self.channels[as_id(parent_id)]
        thread = self.add_channel(
            parent.guild_id,
            name,
            type,
            parent_id=parent.id,
            owner_id=owner,
            channel_id=as_id(message_id) if message_id is not None else None,
        )
        if message_id is not None:
            self.messages[as_id(message_id)]["thread"] = thread.payload()
        await self.dispatch_thread_create(thread)
        return thread

    async def create_forum_post(
        self, forum_id: IdLike, author: IdLike, name: str, content: str, **fields: Any
    ) -> tuple[Channel, dict[str, Any]]:
        """A user posts in a forum: THREAD_CREATE then the starter MESSAGE_CREATE (id == thread id)."""
        thread = await self.create_thread_channel(forum_id, name, owner=author)
        msg = self.new_message(thread.id, author, content, msg_id=thread.id, **fields)
        await self.dispatch_message_event("MESSAGE_CREATE", msg, required=True)
        return thread, msg
