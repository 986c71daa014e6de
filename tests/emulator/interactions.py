"""Interaction bookkeeping and the routes a bot uses to answer interactions:
``POST /interactions/{id}/{token}/callback`` and the application webhook
(``/webhooks/{app}/{token}`` follow-ups, ``.../messages/@original|{id}``).

Mirrors Discord's rules that tests care about: one callback per interaction, the
callback must come within ``emulator.interaction_deadline`` seconds (3 s on Discord,
else 404 Unknown interaction), and the first follow-up after a "thinking" defer (type 5)
fills the deferred original message instead of creating a new one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .channels import EPHEMERAL, validate_message
from .rest import API_PREFIX, REC, ApiError, respond

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

LOADING = 1 << 7  # message flag: the "thinking..." placeholder of a deferred response
CALLBACK_NAMES = {
    4: "message",
    5: "deferred",
    6: "deferred_update",
    7: "update_message",
    8: "autocomplete",
    9: "modal",
}


@dataclass
class InteractionRecord:
    id: int
    token: str
    type: int  # 2 command, 3 component, 4 autocomplete, 5 modal submit
    payload: dict[str, Any]  # the INTERACTION_CREATE data sent to the bot
    dispatched_at: float  # time.monotonic()
    callback_type: int | None = None  # see CALLBACK_NAMES
    callback_at: float | None = None
    callback_data: dict[str, Any] | None = None
    original_message_id: int | None = None
    edits: list[tuple[float, dict[str, Any]]] = field(
        default_factory=list
    )  # @original edits (+ filling follow-up)
    followups: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    answer: dict[str, Any] | None = None  # payload of the final content (see answered_at)
    answered_at: float | None = None
    rejected: list[str] = field(default_factory=list)  # Discord errors returned for this interaction
    _filled: bool = False
    _event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def ack_latency(self) -> float | None:
        return None if self.callback_at is None else self.callback_at - self.dispatched_at

    @property
    def response_latency(self) -> float | None:
        return None if self.answered_at is None else self.answered_at - self.dispatched_at

    @property
    def content(self) -> str | None:
        return (self.answer or {}).get("content")

    def _set_answer(self, data: dict[str, Any] | None, when: float) -> None:
        if self.answered_at is None:
            self.answer, self.answered_at = data or {}, when
            self._event.set()

    async def wait(self, timeout: float = 5.0) -> InteractionRecord:
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"interaction {self.id} not answered within {timeout}s "
                f"(callback={CALLBACK_NAMES.get(self.callback_type)}, errors={self.rejected})"
            ) from None
        return self


class InteractionRoutes:
    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu

    def routes(self) -> list[web.RouteDef]:
        w = API_PREFIX + "/webhooks/{app_id}/{token}"
        return [
            web.post(API_PREFIX + "/interactions/{interaction_id}/{token}/callback", self.callback),
            web.post(w, self.followup),
            web.get(w + "/messages/{message_id}", self.get_message),
            web.patch(w + "/messages/{message_id}", self.edit_message),
            web.delete(w + "/messages/{message_id}", self.delete_message),
        ]

    def _by_token(self, request: web.Request) -> InteractionRecord:
        record = self.emu.interactions_by_token.get(request.match_info["token"])
        if (
            record is None
            or int(request.match_info.get("app_id", self.emu.application_id)) != self.emu.application_id
        ):
            raise ApiError(404, 10015, "Unknown Webhook")
        return record

    def _webhook_message(self, record: InteractionRecord, message_id: str) -> dict[str, Any]:
        mid = record.original_message_id if message_id == "@original" else int(message_id)
        msg = self.emu.messages.get(mid or 0)
        if msg is None:
            record.rejected.append(f"10008 Unknown Message {message_id}")
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    def _new_response_message(self, record: InteractionRecord, body: dict[str, Any], files: list, flags: int):
        emu, p = self.emu, record.payload
        data = p.get("data") or {}
        msg_type = {1: 20, 2: 23, 3: 23}.get(data.get("type"), 19) if record.type == 2 else 19
        user = (p.get("member") or p)["user"]
        msg = emu.new_message(
            int(p["channel_id"]),
            emu.bot_user,
            webhook_id=str(emu.application_id),
            application_id=str(emu.application_id),
            type=msg_type,
            interaction_metadata={
                "id": str(record.id),
                "type": record.type,
                "user": user,
                "name": data.get("name"),
                "authorizing_integration_owners": p.get("authorizing_integration_owners", {}),
            },
        )
        emu.apply_message_payload(msg, body, files)
        msg["flags"] = (msg["flags"] & ~(EPHEMERAL | LOADING)) | flags  # only the callback decides these
        return msg

    async def callback(self, request: web.Request) -> web.Response:
        emu, rec, now = self.emu, request[REC], time.monotonic()
        record = emu.interactions.get(int(request.match_info["interaction_id"]))
        if record is None or record.token != request.match_info["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if record.callback_type is not None:
            record.rejected.append("40060 already acknowledged")
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if emu.interaction_deadline is not None and now - record.dispatched_at > emu.interaction_deadline:
            record.rejected.append(f"10062 callback after {now - record.dispatched_at:.2f}s")
            raise ApiError(404, 10062, "Unknown interaction")
        body = rec.json or {}
        ctype, data = int(body["type"]), body.get("data") or {}
        if ctype == 4:
            validate_message(data, rec.files)
        record.callback_type, record.callback_at, record.callback_data = ctype, now, data
        message = None
        flags = int(data.get("flags") or 0) & EPHEMERAL
        if ctype in (4, 5):
            message = self._new_response_message(
                record, data, rec.files, flags | (LOADING if ctype == 5 else 0)
            )
            record.original_message_id = int(message["id"])
            await emu.dispatch_message_event("MESSAGE_CREATE", message)
        elif ctype in (6, 7) and record.payload.get("message"):
            message = emu.messages.get(int(record.payload["message"]["id"]), record.payload["message"])
            record.original_message_id = int(message["id"])
            if ctype == 7:
                emu.apply_message_payload(message, data, rec.files, edit=True)
                await emu.dispatch_message_event("MESSAGE_UPDATE", message)
        if ctype in (4, 7, 8, 9):
            record._set_answer(data, now)
        result: dict[str, Any] = {
            "interaction": {
                "id": str(record.id),
                "type": record.type,
                "activity_instance_id": None,
                "response_message_id": str(message["id"]) if message else None,
                "response_message_loading": ctype == 5,
                "response_message_ephemeral": bool(flags),
            }
        }
        if message is not None:
            result["resource"] = {"type": ctype, "message": message}
        return respond(result)

    async def followup(self, request: web.Request) -> web.Response:
        emu, rec, now = self.emu, request[REC], time.monotonic()
        record, body = self._by_token(request), rec.json or {}
        if record.callback_type is None:
            record.rejected.append("follow-up before the interaction was acknowledged")
            raise ApiError(404, 10015, "Unknown Webhook")
        validate_message(body, rec.files)
        if record.callback_type == 5 and not record._filled:
            msg = emu.messages[record.original_message_id]  # fill the "thinking..." placeholder
            ephemeral = msg["flags"] & EPHEMERAL  # decided by the defer, not by the follow-up
            emu.apply_message_payload(msg, body, rec.files)
            msg["flags"] = (msg["flags"] & ~(EPHEMERAL | LOADING)) | ephemeral
            record._filled = True
            record.edits.append((now, body))
            await emu.dispatch_message_event("MESSAGE_UPDATE", msg)
        else:
            msg = self._new_response_message(record, body, rec.files, int(body.get("flags") or 0) & EPHEMERAL)
            await emu.dispatch_message_event("MESSAGE_CREATE", msg)
        record.followups.append((now, body))
        record._set_answer(body, now)
        if request.query.get("wait") in ("1", "true", "True"):
            return respond(msg)
        return respond(status=204)

    async def get_message(self, request: web.Request) -> web.Response:
        record = self._by_token(request)
        return respond(self._webhook_message(record, request.match_info["message_id"]))

    async def edit_message(self, request: web.Request) -> web.Response:
        emu, rec, now = self.emu, request[REC], time.monotonic()
        record = self._by_token(request)
        msg = self._webhook_message(record, request.match_info["message_id"])
        emu.apply_message_payload(msg, rec.json, rec.files, edit=True)
        msg["flags"] &= ~LOADING
        if int(msg["id"]) == record.original_message_id:
            record._filled = True
            record.edits.append((now, rec.json or {}))
            record._set_answer(rec.json, now)
        await emu.dispatch_message_event("MESSAGE_UPDATE", msg)
        return respond(msg)

    async def delete_message(self, request: web.Request) -> web.Response:
        record = self._by_token(request)
        msg = self._webhook_message(record, request.match_info["message_id"])
        await self.emu.delete_message(int(msg["id"]))
        return respond(status=204)
