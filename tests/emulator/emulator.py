"""``DiscordEmulator``: one aiohttp server on 127.0.0.1 serving REST (/api/v10), the
gateway WebSocket (/gateway) and attachment downloads (/attachments/...)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .channels import ChannelRoutes
from .dispatch import Dispatcher
from .gateway import PRIVILEGED_INTENTS, Gateway, GatewayConnection
from .interactions import InteractionRecord, InteractionRoutes
from .invoke import Invoker
from .rest import API_PREFIX, Fault, RecordedRequest, Rest
from .state import IdLike, as_id
from .world import World

# GATEWAY_PRESENCE_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED | COMMAND_BADGE:
# what an unverified bot with all privileged intents switched on reports.
DEFAULT_APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19) | (1 << 23)


class DiscordEmulator(World, Dispatcher, Invoker):
    """Local Discord API + gateway for a real discord.py client.

    Knobs (plain attributes, change any time): ``token`` (the only accepted bot token),
    ``heartbeat_interval_ms``, ``interaction_deadline`` (seconds to acknowledge an
    interaction, None = unlimited), ``allowed_privileged_intents`` (bitmask; others close
    with 4014), ``gateway_compress`` (zlib-stream frames when asked), ``recommended_shards``
    (GET /gateway/bot), ``application_flags``.
    """

    def __init__(
        self,
        token: str = "emulator-bot-token",
        *,
        bot_name: str = "qabot",
        heartbeat_interval_ms: int = 41250,
        interaction_deadline: float | None = 3.0,
    ) -> None:
        World.__init__(self, bot_name)
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_deadline = interaction_deadline
        self.allowed_privileged_intents = PRIVILEGED_INTENTS
        self.gateway_compress = False
        self.recommended_shards = 1
        self.application_flags = DEFAULT_APPLICATION_FLAGS
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        self.errors: list[str] = []  # tracebacks of emulator bugs hit while handling requests
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None = global) -> commands
        self.interactions: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        self.reactions: dict[tuple[int, str], set[int]] = {}  # (message id, emoji) -> user ids
        self._request_waiters: list[tuple] = []
        self.gateway = Gateway(self)
        self.rest = Rest(self)
        self._runner: web.AppRunner | None = None
        self.base_url = self.rest_base = self.gateway_url = ""

    @property
    def connections(self) -> list[GatewayConnection]:
        """Every gateway connection ever opened (check ``is_open``)."""
        return self.gateway.connections

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> DiscordEmulator:
        app = web.Application(middlewares=[self.rest.middleware], client_max_size=64 * 1024 * 1024)
        app.add_routes(
            self.rest.routes()
            + ChannelRoutes(self).routes()
            + InteractionRoutes(self).routes()
            + [web.get("/gateway", self.gateway.handle)]
        )
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{port}"
        self.rest_base = self.base_url + API_PREFIX
        self.gateway_url = f"ws://{host}:{port}/gateway"
        return self

    async def stop(self) -> None:
        for conn in self.connections:
            if not conn.ws.closed:
                await conn.ws.close(code=1001, message=b"emulator stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def assert_clean(self) -> None:
        """Fail a test whose client hit a route the emulator lacks, or an emulator bug."""
        assert self.unhandled == [], [(r.method, r.path) for r in self.unhandled]
        assert self.errors == [], self.errors

    async def __aenter__(self) -> DiscordEmulator:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    def rate_limit_next(
        self,
        route_substring: str,
        retry_after: float = 0.2,
        *,
        method: str | None = None,
        is_global: bool = False,
    ) -> None:
        """The next request whose path (without /api/v10) contains ``route_substring``
        (and has ``method``, if given) gets a 429 that discord.py honours and retries."""
        self.inject_fault(
            route_substring, method=method, status=429, retry_after=retry_after, is_global=is_global
        )

    def inject_fault(self, route_substring: str, **fault: Any) -> Fault:
        """Inject a REST fault (see :class:`Fault`): e.g. ``status=500`` once, ``status=429, times=20``,
        ``delay=2.0, times=None`` (remove it with ``clear_faults``). Returns it; ``fault.hits`` counts."""
        injected = Fault(route_substring, **fault)
        self.rest.faults.append(injected)
        return injected

    def clear_faults(self) -> None:
        self.rest.faults.clear()

    async def drop_gateway(self, shard_id: int = 0) -> None:
        """Cut the shard's gateway connection without a close frame, as a network failure would; the
        session stays resumable and events dispatched meanwhile wait in it for the RESUME."""
        await self.gateway.drop(shard_id)

    async def send_reconnect(self, shard_id: int = 0) -> None:
        """Ask the client on ``shard_id`` to reconnect (op 7); it should RESUME."""
        await self.gateway.send_reconnect(shard_id)

    # ------------------------------------------------------------------ waiting for the bot
    async def wait_for_response(
        self, interaction_id: int | InteractionRecord, timeout: float = 5.0
    ) -> InteractionRecord:
        record = self.interactions[getattr(interaction_id, "id", interaction_id)]
        return await record.wait(timeout)

    def _notify_request(self, rec: RecordedRequest) -> None:
        for waiter in list(self._request_waiters):
            predicate, future = waiter
            try:
                matched = not future.done() and predicate(rec)
            except Exception as exc:  # a broken predicate should fail the waiting test, not the request
                future.set_exception(exc)
                matched = False
            if matched:
                future.set_result(rec)
            if future.done():
                self._request_waiters.remove(waiter)

    async def wait_for_request(
        self, predicate: Callable[[RecordedRequest], bool], timeout: float = 5.0, since: float | None = None
    ) -> RecordedRequest:
        """First request matching ``predicate``, already recorded ones included unless
        older than ``since`` (a time.monotonic() value); raises asyncio.TimeoutError."""
        for rec in self.requests:
            if rec.status is not None and (since is None or rec.timestamp >= since) and predicate(rec):
                return rec
        waiter = (predicate, asyncio.get_running_loop().create_future())
        self._request_waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter[1], timeout)
        finally:
            if waiter in self._request_waiters:
                self._request_waiters.remove(waiter)

    async def wait_for_message(
        self,
        channel_id: IdLike,
        timeout: float = 5.0,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        since: float | None = None,
    ) -> dict[str, Any]:
        """A message the bot created in ``channel_id`` (POST /channels/{id}/messages),
        matching ``predicate(message)``; returns the (live) stored message payload."""
        path = f"/channels/{as_id(channel_id)}/messages"

        def match(rec: RecordedRequest) -> bool:
            return (
                rec.method == "POST"
                and rec.path == path
                and rec.status == 200
                and (predicate is None or predicate(rec.response))
            )

        response = (await self.wait_for_request(match, timeout, since)).response
        return self.messages.get(int(response["id"]), response)
