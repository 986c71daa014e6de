"""Pytest helpers: point a real discord.py client at the emulator, and collect the
errors discord.py logs (it logs handler exceptions instead of raising them)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .emulator import DiscordEmulator

ClientT = TypeVar("ClientT", bound=discord.Client)


@asynccontextmanager
async def connected_client(
    emulator: DiscordEmulator,
    client: ClientT,
    token: str | None = None,
    timeout: float = 10.0,
    reconnect: bool = True,
) -> AsyncIterator[ClientT]:
    """Logs ``client`` in against ``emulator``, runs it as a task until READY (all
    GUILD_CREATEs processed) and yields it; closes it and restores discord.py's URLs after.
    Login/gateway failures (LoginFailure, ConnectionClosed 4004, ...) propagate."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = emulator.rest_base  # read when each Route is built, webhooks included
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emulator.gateway_url)
    runner: asyncio.Task | None = None
    try:
        await asyncio.wait_for(client.login(token or emulator.token), timeout)  # what client.start() does
        runner = asyncio.create_task(client.connect(reconnect=reconnect), name="emulated-discord-client")
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({runner, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if runner in done:
                runner.result()  # re-raises the connection error
                raise RuntimeError("client.connect() returned before READY")
            raise TimeoutError(f"client not ready within {timeout}s")
        yield client
    finally:
        await client.close()
        if runner is not None:
            with contextlib.suppress(Exception):  # already reported above, or irrelevant after close
                await asyncio.wait_for(runner, 5.0)
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


class DiscordErrorCollector(logging.Handler):
    """Collects ERROR+ records from the ``discord`` logger tree.

    Use as a context manager (or ``install()``/``uninstall()``) and call ``assert_clean()``."""

    def __init__(self, logger_name: str = "discord", level: int = logging.ERROR) -> None:
        super().__init__(level)
        self.logger = logging.getLogger(logger_name)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def install(self) -> DiscordErrorCollector:
        self.logger.addHandler(self)
        if self.logger.getEffectiveLevel() > self.level:
            self.logger.setLevel(self.level)
        return self

    def uninstall(self) -> None:
        self.logger.removeHandler(self)

    __enter__ = install

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    @property
    def messages(self) -> list[str]:
        return [self.format(r) for r in self.records]  # includes tracebacks of exc_info

    def assert_clean(self) -> None:
        if self.records:
            raise AssertionError("discord.py logged errors:\n" + "\n\n".join(self.messages))
