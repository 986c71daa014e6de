"""Channel REST routes: messages (create/edit/delete/fetch/history), typing, reactions,
threads (from a message, standalone, forum posts) and thread membership.

Writes are permission-checked against the bot's computed permissions and the usual
validation (2000-char limit, no empty messages), returning Discord's error codes, and
each write dispatches the gateway event Discord would send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .rest import API_PREFIX, REC, ApiError, respond
from .state import SEND_MESSAGES, SEND_MESSAGES_IN_THREADS, VIEW_CHANNEL, Channel, compute_permissions

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

ADD_REACTIONS, MANAGE_MESSAGES, READ_HISTORY = 1 << 6, 1 << 13, 1 << 16
CREATE_PUBLIC_THREADS, CREATE_PRIVATE_THREADS = 1 << 35, 1 << 36
EPHEMERAL = 1 << 6  # message flag: only the invoking user sees it; not in channel REST


def validate_message(body: dict[str, Any] | None, files: list[dict[str, Any]]) -> None:
    body = body or {}
    if len(body.get("content") or "") > 2000:
        raise ApiError(400, 50035, "Invalid Form Body (content: Must be 2000 or fewer in length.)")
    if not (
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or files
    ):
        raise ApiError(400, 50006, "Cannot send an empty message")


def parse_emoji(text: str) -> dict[str, Any]:
    name, _, emoji_id = text.partition(":")  # custom emoji arrive as name:id
    return {"id": emoji_id or None, "name": name}


class ChannelRoutes:
    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu

    def routes(self) -> list[web.RouteDef]:
        c = API_PREFIX + "/channels/{channel_id}"
        m = c + "/messages/{message_id}"
        return [
            web.get(c, self.get_channel),
            web.get(c + "/messages", self.history),
            web.post(c + "/messages", self.create_message),
            web.post(c + "/typing", self.no_content),
            web.get(m, self.get_message),
            web.patch(m, self.edit_message),
            web.delete(m, self.delete_message),
            web.put(m + "/reactions/{emoji}/@me", self.react),
            web.delete(m + "/reactions/{emoji}/@me", self.react),
            web.post(m + "/threads", self.thread_from_message),
            web.post(c + "/threads", self.create_thread),
            web.put(c + "/thread-members/@me", self.no_content),
            web.delete(c + "/thread-members/@me", self.no_content),
        ]

    # ------------------------------------------------------------------ helpers
    def _channel(self, request: web.Request) -> Channel:
        channel = self.emu.channels.get(int(request.match_info["channel_id"]))
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def _message(self, request: web.Request) -> dict[str, Any]:
        channel = self._channel(request)
        msg = self.emu.messages.get(int(request.match_info["message_id"]))
        if msg is None or msg["channel_id"] != str(channel.id) or msg.get("flags", 0) & EPHEMERAL:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    def _require(self, channel: Channel, permission: int) -> None:
        guild = self.emu.guilds.get(channel.guild_id) if channel.guild_id else None
        if guild is None:
            return
        perms = compute_permissions(guild, self.emu.bot_user.id, channel)
        if not perms & VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        if permission and not perms & permission:
            raise ApiError(403, 50013, "Missing Permissions")

    # ------------------------------------------------------------------ messages
    async def get_channel(self, request: web.Request) -> web.Response:
        return respond(self._channel(request).payload())

    async def no_content(self, request: web.Request) -> web.Response:
        self._channel(request)
        return respond(status=204)

    async def history(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require(channel, READ_HISTORY)
        q = request.query
        msgs = [m for m in self.emu.messages_in(channel.id) if not m["flags"] & EPHEMERAL]  # oldest first
        limit = int(q.get("limit", 50))
        if "after" in q:
            msgs = [m for m in msgs if int(m["id"]) > int(q["after"])][:limit]
        else:
            if "before" in q:
                msgs = [m for m in msgs if int(m["id"]) < int(q["before"])]
            msgs = msgs[-limit:]
        return respond(list(reversed(msgs)))  # Discord returns newest first

    async def get_message(self, request: web.Request) -> web.Response:
        self._require(self._channel(request), READ_HISTORY)
        return respond(self._message(request))

    async def create_message(self, request: web.Request) -> web.Response:
        emu, rec, channel = self.emu, request[REC], self._channel(request)
        self._require(channel, SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES)
        validate_message(rec.json, rec.files)
        msg = emu.apply_message_payload(emu.new_message(channel.id, emu.bot_user), rec.json, rec.files)
        await emu.dispatch_message_event("MESSAGE_CREATE", msg)
        return respond(msg)

    async def edit_message(self, request: web.Request) -> web.Response:
        emu, rec, msg = self.emu, request[REC], self._message(request)
        if msg["author"]["id"] != str(emu.bot_user.id):
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        emu.apply_message_payload(msg, rec.json, rec.files, edit=True)
        await emu.dispatch_message_event("MESSAGE_UPDATE", msg)
        return respond(msg)

    async def delete_message(self, request: web.Request) -> web.Response:
        emu, msg, channel = self.emu, self._message(request), self._channel(request)
        if msg["author"]["id"] != str(emu.bot_user.id):
            self._require(channel, MANAGE_MESSAGES)
        await emu.delete_message(int(msg["id"]))
        return respond(status=204)

    async def react(self, request: web.Request) -> web.Response:
        msg, channel = self._message(request), self._channel(request)
        adding = request.method == "PUT"
        if adding:
            self._require(channel, ADD_REACTIONS)
        await self.emu.set_reaction(int(msg["id"]), self.emu.bot_user.id, request.match_info["emoji"], adding)
        return respond(status=204)

    # ------------------------------------------------------------------ threads
    async def thread_from_message(self, request: web.Request) -> web.Response:
        """Like Discord, the thread's id is the starter message's id."""
        emu, body, msg, channel = (
            self.emu,
            request[REC].json or {},
            self._message(request),
            self._channel(request),
        )
        self._require(channel, CREATE_PUBLIC_THREADS)
        if int(msg["id"]) in emu.channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        thread = emu.add_channel(
            channel.guild_id,
            body["name"],
            11,
            parent_id=channel.id,
            owner_id=emu.bot_user,
            channel_id=int(msg["id"]),
        )
        msg["thread"] = thread.payload()
        await emu.dispatch_thread_create(thread)
        return respond(thread.payload())

    async def create_thread(self, request: web.Request) -> web.Response:
        """Forum/media post (body has ``message``) or a standalone thread in a text channel."""
        emu, rec, parent = self.emu, request[REC], self._channel(request)
        body = rec.json or {}
        if parent.type in (15, 16):
            self._require(parent, SEND_MESSAGES)
            validate_message(body.get("message"), rec.files)
            thread = emu.add_channel(
                parent.guild_id, body["name"], 11, parent_id=parent.id, owner_id=emu.bot_user
            )
            starter = emu.new_message(thread.id, emu.bot_user, msg_id=thread.id)
            emu.apply_message_payload(starter, body.get("message"), rec.files)
            await emu.dispatch_thread_create(thread)
            await emu.dispatch_message_event("MESSAGE_CREATE", starter)
            return respond({**thread.payload(), "message": starter})
        thread_type = int(body.get("type") or 12)  # Discord's default for message-less threads is private
        self._require(parent, CREATE_PRIVATE_THREADS if thread_type == 12 else CREATE_PUBLIC_THREADS)
        thread = emu.add_channel(
            parent.guild_id, body["name"], thread_type, parent_id=parent.id, owner_id=emu.bot_user
        )
        await emu.dispatch_thread_create(thread)
        return respond(thread.payload())
