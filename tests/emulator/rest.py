"""REST plumbing: request recording, body parsing, auth, simulated rate limits, JSON
responses, plus the small application/user/guild/gateway/command routes.

Every response is built by :func:`respond`: discord.py only parses a body as JSON when
``Content-Type`` is exactly ``application/json`` (``web.json_response`` appends a charset).
"""

from __future__ import annotations

import asyncio
import json
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

API_PREFIX = "/api/v10"
# Per-request storage key for the RecordedRequest (typed key where aiohttp supports it).
REC = web.RequestKey("rec", object) if hasattr(web, "RequestKey") else "rec"
NO_AUTH_PREFIXES = ("/interactions/", "/webhooks/", "/gateway")  # token-in-URL routes, like Discord


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the /api/v10 prefix for API routes
    query: dict[str, str]
    json: Any  # JSON body, or multipart payload_json
    timestamp: float  # time.monotonic()
    files: list[dict[str, Any]] = field(default_factory=list)  # {name, filename, content_type, data}
    status: int | None = None
    response: Any = None  # the JSON body we answered with


@dataclass
class Fault:
    """An injected REST fault (see ``DiscordEmulator.inject_fault``): requests whose path contains
    ``route`` (and whose method is ``method``, if given) are answered ``status`` without being handled
    (429 with ``retry_after``), or, with no status, handled and answered ``delay`` seconds late."""

    route: str
    method: str | None = None
    status: int | None = None
    retry_after: float = 0.2
    is_global: bool = False
    delay: float = 0.0
    times: int | None = 1  # requests it applies to; None = every matching one until removed
    hits: int = 0

    def matches(self, rec: RecordedRequest) -> bool:
        return self.route in rec.path and self.method in (None, rec.method)


def respond(data: Any = None, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    if data is None and status == 204:
        return web.Response(status=204, headers=headers)  # no body -> no JSON content type
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error(status: int, code: int, message: str) -> web.Response:
    return respond({"message": message, "code": code}, status)


class ApiError(Exception):
    """Raised by handlers to produce a Discord-style JSON error."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.response = error(status, code, message)


async def parse_body(request: web.Request) -> tuple:
    """Returns (json, files); multipart bodies carry JSON in the ``payload_json`` part."""
    files: list[dict[str, Any]] = []
    if request.content_type.startswith("multipart/"):
        body = None
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            data = await part.read()
            if part.name == "payload_json":
                body = json.loads(data)
            else:
                files.append(
                    {
                        "name": part.name,
                        "filename": part.filename,
                        "data": bytes(data),
                        "content_type": part.headers.get("Content-Type", "application/octet-stream"),
                    }
                )
        return body, files
    raw = await request.read()
    try:
        return (json.loads(raw) if raw else None), files
    except ValueError:
        return raw.decode(errors="replace"), files


def rate_limited(retry_after: float, is_global: bool) -> web.Response:
    # 'Via' tells discord.py this is Discord's limiter, not a Cloudflare ban.
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(time.time() + retry_after),
        "X-RateLimit-Reset-After": str(retry_after),
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
    return respond(body, 429, headers)


class Rest:
    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu
        self.faults: list[Fault] = []  # checked in order; the first match applies

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/gateway":  # the WebSocket upgrade; recorded as a GatewayConnection
            return await handler(request)
        emu = self.emu
        path = request.path[len(API_PREFIX) :] if request.path.startswith(API_PREFIX) else request.path
        body, files = await parse_body(request)
        rec = RecordedRequest(request.method, path, dict(request.query), body, time.monotonic(), files)
        request[REC] = rec
        emu.requests.append(rec)
        response = await self._handle(request, handler, rec)
        rec.status = response.status
        if isinstance(response, web.Response) and response.content_type == "application/json":
            rec.response = json.loads(response.body)
        emu._notify_request(rec)
        return response

    async def _handle(self, request: web.Request, handler: Any, rec: RecordedRequest) -> web.StreamResponse:
        if getattr(request.match_info, "http_exception", None) is not None:
            self.emu.unhandled.append(rec)
            return error(404, 0, f"404: Not Found (emulator has no route {rec.method} {rec.path})")
        fault = next((f for f in self.faults if f.matches(rec)), None)
        if fault is not None:
            fault.hits += 1
            if fault.times is not None and fault.hits >= fault.times:
                self.faults.remove(fault)
            if fault.status == 429:
                return rate_limited(fault.retry_after, fault.is_global)
            if fault.status is not None:
                return error(fault.status, 0, f"{fault.status}: injected by the emulator")
            response = await self._authorised(request, handler, rec)
            await asyncio.sleep(fault.delay)  # slow to answer; the request itself was already handled
            return response
        return await self._authorised(request, handler, rec)

    async def _authorised(
        self, request: web.Request, handler: Any, rec: RecordedRequest
    ) -> web.StreamResponse:
        needs_auth = request.path.startswith(API_PREFIX) and not rec.path.startswith(NO_AUTH_PREFIXES)
        if needs_auth and request.headers.get("Authorization") != f"Bot {self.emu.token}":
            return error(401, 0, "401: Unauthorized")
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response
        except Exception:  # an emulator bug: fail fast (a 500 would make discord.py retry for ~25 s)
            self.emu.errors.append(traceback.format_exc())
            return error(400, 0, "emulator internal error (see emulator.errors)")

    # ------------------------------------------------------------------ simple routes
    def routes(self) -> list[web.RouteDef]:
        p = API_PREFIX
        return [
            web.get(p + "/gateway", self.get_gateway),
            web.get(p + "/gateway/bot", self.get_gateway_bot),
            web.get(p + "/oauth2/applications/@me", self.get_application),
            web.get(p + "/applications/@me", self.get_application),
            web.get(p + "/users/@me", self.get_me),
            web.get(p + "/users/{user_id}", self.get_user),
            web.get(p + "/guilds/{guild_id}", self.get_guild),
            web.get(p + "/guilds/{guild_id}/channels", self.get_guild_channels),
            web.get(p + "/guilds/{guild_id}/roles", self.get_guild_roles),
            web.get(p + "/guilds/{guild_id}/members/{user_id}", self.get_member),
            web.get(p + "/applications/{app_id}/commands", self.get_commands),
            web.put(p + "/applications/{app_id}/commands", self.put_commands),
            web.get(p + "/applications/{app_id}/guilds/{guild_id}/commands", self.get_commands),
            web.put(p + "/applications/{app_id}/guilds/{guild_id}/commands", self.put_commands),
            web.get("/attachments/{att_id}/{filename}", self.get_attachment),
        ]

    def _guild(self, request: web.Request):
        guild = self.emu.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    async def get_gateway(self, request: web.Request) -> web.Response:
        return respond({"url": self.emu.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        return respond(
            {
                "url": self.emu.gateway_url,
                "shards": self.emu.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def get_application(self, request: web.Request) -> web.Response:
        emu = self.emu
        return respond(
            {
                "id": str(emu.application_id),
                "name": emu.bot_user.name,
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": emu.app_owner.payload(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": emu.application_flags,
                "bot": emu.bot_user.payload(),
                "interactions_endpoint_url": None,
                "redirect_uris": [],
            }
        )

    async def get_me(self, request: web.Request) -> web.Response:
        return respond({**self.emu.bot_user.payload(), "verified": True, "mfa_enabled": False, "email": None})

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.emu.users.get(int(request.match_info["user_id"]))
        return respond(user.payload()) if user else error(404, 10013, "Unknown User")

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        data = guild.payload()
        if request.query.get("with_counts") in ("1", "true", "True"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return respond(data)

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        return respond([c.payload() for c in self._guild(request).channels.values() if not c.is_thread])

    async def get_guild_roles(self, request: web.Request) -> web.Response:
        return respond([r.payload() for r in self._guild(request).roles.values()])

    async def get_member(self, request: web.Request) -> web.Response:
        member = self._guild(request).members.get(int(request.match_info["user_id"]))
        return respond(member.payload()) if member else error(404, 10007, "Unknown Member")

    def _command_key(self, request: web.Request) -> int | None:
        if int(request.match_info["app_id"]) != self.emu.application_id:
            raise ApiError(403, 50001, "Missing Access")
        return int(request.match_info["guild_id"]) if "guild_id" in request.match_info else None

    async def get_commands(self, request: web.Request) -> web.Response:
        return respond(self.emu.commands.get(self._command_key(request), []))

    async def put_commands(self, request: web.Request) -> web.Response:
        """Bulk overwrite; like Discord, a command keeps its id when (name, type) is unchanged."""
        emu, guild_id = self.emu, self._command_key(request)
        old = {(c["name"], c.get("type", 1)): c["id"] for c in emu.commands.get(guild_id, [])}
        stored = []
        for cmd in request[REC].json or []:
            cmd_type = cmd.get("type", 1)
            stored.append(
                {
                    "default_member_permissions": None,
                    "nsfw": False,
                    "contexts": None,
                    "integration_types": [0],
                    "description": "",
                    "options": [],
                    **cmd,
                    "type": cmd_type,
                    "id": old.get((cmd["name"], cmd_type)) or str(emu.snowflake()),
                    "application_id": str(emu.application_id),
                    "version": str(emu.snowflake()),
                    **({"guild_id": str(guild_id)} if guild_id else {}),
                }
            )
        emu.commands[guild_id] = stored
        return respond(stored)

    async def get_attachment(self, request: web.Request) -> web.Response:
        found = self.emu.attachments.get(int(request.match_info["att_id"]))
        if found is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=found[1], headers={"Content-Type": found[2]})
