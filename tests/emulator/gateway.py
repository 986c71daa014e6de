"""Gateway WebSocket (/gateway): HELLO, IDENTIFY/READY/GUILD_CREATE, heartbeats, RESUME,
member chunks, sharding and intent filtering of dispatched events.

discord.py accepts plain TEXT frames even when it asked for ``compress=zlib-stream``
(only BINARY frames go through its decompressor), so frames are text by default;
set ``emulator.gateway_compress = True`` to exercise the real zlib-stream path.
"""

from __future__ import annotations

import asyncio
import json
import time
import traceback
import uuid
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

GUILDS, GUILD_MEMBERS, GUILD_PRESENCES = 1 << 0, 1 << 1, 1 << 8
GUILD_MESSAGES, GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGES, DM_REACTIONS = 1 << 9, 1 << 10, 1 << 12, 1 << 13
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
# event -> (intent needed in a guild, intent needed in DMs); unlisted events are always sent
EVENT_INTENTS = {
    "MESSAGE_CREATE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_UPDATE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_DELETE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_REACTION_ADD": (GUILD_MESSAGE_REACTIONS, DM_REACTIONS),
    "MESSAGE_REACTION_REMOVE": (GUILD_MESSAGE_REACTIONS, DM_REACTIONS),
    "THREAD_CREATE": (GUILDS, GUILDS),
    "CHANNEL_CREATE": (GUILDS, GUILDS),
    "GUILD_MEMBER_ADD": (GUILD_MEMBERS, 0),
}


def shard_for(guild_id: int | None, shard_count: int) -> int:
    return 0 if guild_id is None else (guild_id >> 22) % shard_count


@dataclass
class Session:
    id: str
    shard: tuple[int, int]
    intents: int
    seq: int = 0
    backlog: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=1000))  # for RESUME replay


class GatewayConnection:
    """One client WebSocket; tests read ``heartbeats``, ``identify``, ``intents``, ``close_code``."""

    def __init__(self, ws: web.WebSocketResponse, query: dict[str, str], compress: bool) -> None:
        self.ws, self.query = ws, query
        self.transport: asyncio.BaseTransport | None = None  # for drop(): a cut without a close frame
        self.opened_at = time.monotonic()
        self.closed_at: float | None = None
        self.close_code: int | None = None
        self.identify: dict[str, Any] | None = None  # IDENTIFY 'd' (token included)
        self.resumed = False
        self.session: Session | None = None
        self.heartbeats: list[float] = []  # monotonic arrival time of every op 1
        self.received: list[dict[str, Any]] = []  # every frame the client sent
        self._lock = asyncio.Lock()  # frame order + shared zlib context need serialised sends
        self._zlib = zlib.compressobj() if compress and query.get("compress") == "zlib-stream" else None

    @property
    def shard(self) -> tuple[int, int]:
        return self.session.shard if self.session else (0, 1)

    @property
    def intents(self) -> int:
        return self.session.intents if self.session else 0

    @property
    def compressed(self) -> bool:
        """True when frames go out as zlib-stream binary (see DiscordEmulator.gateway_compress)."""
        return self._zlib is not None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None and not self.ws.closed

    def max_heartbeat_gap(self) -> float:
        """Longest silence between heartbeats (up to now / the close), from the first one."""
        if not self.heartbeats:
            return float("inf")
        points = self.heartbeats + [self.closed_at or time.monotonic()]
        return max(b - a for a, b in zip(points, points[1:], strict=False))

    async def send(self, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload)
        async with self._lock:
            if self.ws.closed:
                return
            try:
                if self._zlib is not None:  # zlib-stream: one shared context, Z_SYNC_FLUSH per message
                    await self.ws.send_bytes(
                        self._zlib.compress(raw.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    )
                else:
                    await self.ws.send_str(raw)
            except ConnectionResetError:  # client went away mid-send; the backlog keeps it for RESUME
                pass

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        assert self.session is not None
        self.session.seq += 1
        frame = {"op": 0, "t": event, "s": self.session.seq, "d": data}
        self.session.backlog.append(frame)
        await self.send(frame)


class Gateway:
    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, Session] = {}
        self.detached: set[str] = set()  # ids of dropped sessions not yet resumed; events wait in them

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(ws, dict(request.query), self.emu.gateway_compress)
        conn.transport = request.transport
        self.connections.append(conn)
        await conn.send(
            {
                "op": 10,
                "d": {"heartbeat_interval": self.emu.heartbeat_interval_ms, "_trace": ["discord-emulator"]},
            }
        )
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    await self._close(conn, 4002, "Error while decoding payload.")
                    break
                try:
                    await self._on_frame(conn, frame)
                except Exception:  # an emulator bug: surface it to the test, drop the connection
                    self.emu.errors.append(traceback.format_exc())
                    await self._close(conn, 4000, "Unknown error.")
        finally:
            conn.closed_at = conn.closed_at or time.monotonic()  # drop() already set it
            conn.close_code = conn.close_code or ws.close_code
        return ws

    async def _close(self, conn: GatewayConnection, code: int, reason: str) -> None:
        conn.close_code = code
        await conn.ws.close(code=code, message=reason.encode())

    async def _on_frame(self, conn: GatewayConnection, frame: dict[str, Any]) -> None:
        conn.received.append(frame)
        op, d = frame.get("op"), frame.get("d")
        if op == 1:
            conn.heartbeats.append(time.monotonic())
            await conn.send({"op": 11})
        elif op == 2:
            await self._identify(conn, d)
        elif op == 6:
            await self._resume(conn, d)
        elif op == 8:
            await self._request_members(conn, d)
        elif op not in (3, 4):  # presence / voice state updates are accepted silently
            await self._close(conn, 4001, "Unknown opcode.")

    async def _identify(self, conn: GatewayConnection, d: dict[str, Any]) -> None:
        emu = self.emu
        conn.identify = d
        shard_id, shard_count = d.get("shard") or (0, 1)
        intents = d.get("intents")
        if conn.session is not None:
            return await self._close(conn, 4005, "Already authenticated.")
        if d.get("token") != emu.token:
            return await self._close(conn, 4004, "Authentication failed.")
        if shard_count < 1 or not 0 <= shard_id < shard_count:
            return await self._close(conn, 4010, "Invalid shard.")
        if intents is None:
            return await self._close(conn, 4013, "Invalid intent(s).")
        if intents & PRIVILEGED_INTENTS & ~emu.allowed_privileged_intents:
            return await self._close(conn, 4014, "Disallowed intent(s).")
        conn.session = Session(uuid.uuid4().hex, (shard_id, shard_count), intents)
        self.sessions[conn.session.id] = conn.session
        guilds = [g for g in emu.guilds.values() if shard_for(g.id, shard_count) == shard_id]
        await conn.dispatch(
            "READY",
            {
                "v": 10,
                "user": {**emu.bot_user.payload(), "verified": True, "mfa_enabled": False, "email": None},
                "session_id": conn.session.id,
                "session_type": "normal",
                "resume_gateway_url": emu.gateway_url,
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "application": {"id": str(emu.application_id), "flags": emu.application_flags},
                "shard": [shard_id, shard_count],
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "user_settings": {},
                "_trace": ["emulator"],
            },
        )
        for guild in guilds:
            await conn.dispatch("GUILD_CREATE", guild.gateway_payload(bool(intents & GUILD_MEMBERS)))

    async def _resume(self, conn: GatewayConnection, d: dict[str, Any]) -> None:
        session = self.sessions.get(d.get("session_id", ""))
        if d.get("token") != self.emu.token:
            return await self._close(conn, 4004, "Authentication failed.")
        if session is None:
            return await conn.send({"op": 9, "d": False})  # not resumable: client re-identifies
        conn.session, conn.resumed = session, True
        self.detached.discard(session.id)
        for frame in list(session.backlog):  # replay what the client missed
            if frame["s"] > (d.get("seq") or 0):
                await conn.send(frame)
        await conn.dispatch("RESUMED", {"_trace": ["emulator"]})

    async def _request_members(self, conn: GatewayConnection, d: dict[str, Any]) -> None:
        guild = self.emu.guilds.get(int(d["guild_id"]))
        members = list(guild.members.values()) if guild else []
        if d.get("user_ids"):
            wanted = {int(u) for u in d["user_ids"]}
            members = [m for m in members if m.user.id in wanted]
        elif d.get("query"):
            members = [m for m in members if m.user.name.lower().startswith(d["query"].lower())]
        if d.get("limit"):
            members = members[: d["limit"]]
        await conn.dispatch(
            "GUILD_MEMBERS_CHUNK",
            {
                "guild_id": d["guild_id"],
                "members": [m.payload() for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
                "nonce": d.get("nonce"),
            },
        )

    # ------------------------------------------------------------------ outgoing events
    def connections_for(self, guild_id: int | None) -> list[GatewayConnection]:
        return [
            c
            for c in self.connections
            if c.is_open and c.session is not None and shard_for(guild_id, c.shard[1]) == c.shard[0]
        ]

    async def dispatch(
        self, event: str, data: dict[str, Any], guild_id: int | None = None, required: bool = False
    ) -> int:
        """Sends an event to every live connection owning the guild's shard, filtered by
        its intents.  Returns how many connections got it; ``required`` raises when no
        connection owns the shard (a test dispatching into the void would just hang)."""
        conns = self.connections_for(guild_id)
        waiting = [
            s
            for s in self.sessions.values()
            if s.id in self.detached and shard_for(guild_id, s.shard[1]) == s.shard[0]
        ]
        if required and not conns and not waiting:
            raise RuntimeError(f"no identified gateway connection for {event} (guild {guild_id})")
        sent = 0
        for conn in conns:
            filtered = self._filter(event, data, conn.intents)
            if filtered is not None:
                await conn.dispatch(event, filtered)
                sent += 1
        for session in waiting:  # like Discord: kept for the RESUME that replays the backlog
            filtered = self._filter(event, data, session.intents)
            if filtered is not None:
                session.seq += 1
                session.backlog.append({"op": 0, "t": event, "s": session.seq, "d": filtered})
                sent += 1
        return sent

    async def drop(self, shard_id: int = 0) -> None:
        """Cuts the shard's connections (TCP closed, no close frame); their sessions stay resumable."""
        for conn in self.connections:
            if conn.is_open and conn.shard[0] == shard_id and conn.transport is not None:
                conn.closed_at, conn.close_code = time.monotonic(), 1006
                if conn.session is not None:
                    self.detached.add(conn.session.id)
                conn.transport.close()

    def _filter(self, event: str, data: dict[str, Any], intents: int) -> dict[str, Any] | None:
        guild_bit, dm_bit = EVENT_INTENTS.get(event, (0, 0))
        bit = guild_bit if data.get("guild_id") else dm_bit
        if bit and not intents & bit:
            return None
        if (
            event in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
            and data.get("guild_id")
            and not intents & MESSAGE_CONTENT
        ):
            # Without the privileged intent Discord blanks content unless the bot wrote or is mentioned.
            bot_id = str(self.emu.bot_user.id)
            if data.get("author", {}).get("id") != bot_id and bot_id not in {
                m["id"] for m in data.get("mentions", [])
            }:
                data = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
                data.pop("poll", None)
        return data

    async def send_reconnect(self, shard_id: int = 0) -> None:
        """Sends op 7 RECONNECT; discord.py then reconnects and RESUMEs."""
        for conn in self.connections:
            if conn.is_open and conn.shard[0] == shard_id:
                await conn.send({"op": 7, "d": None})
