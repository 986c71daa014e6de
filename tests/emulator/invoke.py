"""Users invoking the bot's interactions: slash commands (with subcommands, groups and
resolved options), autocomplete, context menus, components and modal submits.

A mixin of :class:`DiscordEmulator`; every helper returns the :class:`InteractionRecord`
to await (``await record.wait(timeout)``).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from .interactions import InteractionRecord
from .state import Channel, IdLike, Member, Role, User, as_id, compute_permissions

# Python value -> option type, used when a command was not synced (types otherwise come from it).
OPTION_TYPES = {bool: 5, int: 4, float: 10, str: 3, User: 6, Member: 6, Channel: 7, Role: 8}


class Invoker:
    async def _dispatch_interaction(
        self,
        itype: int,
        channel_id: IdLike,
        user: IdLike,
        data: dict[str, Any],
        message: dict[str, Any] | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        channel, uid = self.channels[as_id(channel_id)], as_id(user)
        guild = self.guilds[channel.guild_id]
        if uid not in guild.members:
            raise LookupError(f"user {uid} is not a member of guild {guild.id}")
        iid, token = self.snowflake(), "itoken-" + secrets.token_urlsafe(24)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "token": token,
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel.id),
            "channel": {**channel.payload(), "permissions": str(compute_permissions(guild, uid, channel))},
            "member": {
                **guild.members[uid].payload(),
                "permissions": str(compute_permissions(guild, uid, channel)),
            },
            "app_permissions": str(compute_permissions(guild, self.bot_user.id, channel)),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
        }
        if message is not None:
            payload["message"] = message
        record = InteractionRecord(iid, token, itype, payload, time.monotonic())
        self.interactions[iid] = self.interactions_by_token[token] = record
        await self.gateway.dispatch("INTERACTION_CREATE", payload, guild.id, required=True)
        return record

    def find_command(self, guild_id: IdLike, name: str, type: int = 1) -> dict[str, Any] | None:
        """The synced command a user in that guild would see (guild commands first)."""
        for key in (as_id(guild_id), None):
            for cmd in self.commands.get(key, []):
                if cmd["name"] == name and cmd.get("type", 1) == type:
                    return cmd
        return None

    def _command_data(self, guild_id: IdLike, name: str, type: int, require_synced: bool) -> dict[str, Any]:
        cmd = self.find_command(guild_id, name, type)
        if cmd is None and require_synced:
            raise LookupError(
                f"command {name!r} (type {type}) was never synced; call tree.sync() first "
                f"or pass require_synced=False"
            )
        data = {"id": cmd["id"] if cmd else str(self.snowflake()), "name": name, "type": type}
        if cmd and "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        return data

    def _build_options(
        self,
        cmd: dict[str, Any] | None,
        options: None | list | dict[str, Any],
        subcommand: str | None,
        group: str | None,
        guild_id: int,
        focused: str | None = None,
    ) -> tuple[list[dict], dict[str, dict]]:
        """Turns ``{"name": value}`` into typed option payloads (types from the synced
        definition) nested under subcommand/group, plus the ``resolved`` map."""
        defs = (cmd or {}).get("options", [])
        for level in (group, subcommand):
            if level is not None:
                defs = next((o for o in defs if o["name"] == level), {}).get("options", [])
        types = {o["name"]: o["type"] for o in defs}
        if isinstance(options, list):
            leaf = options
        else:
            leaf = []
            for name, value in (options or {}).items():
                otype = types.get(name) or (
                    11 if isinstance(value, dict) else OPTION_TYPES.get(type(value), 3)
                )
                opt = {
                    "name": name,
                    "type": otype,
                    "value": value
                    if otype in (3, 4, 5, 10)
                    else str(as_id(value["id"] if isinstance(value, dict) else value)),
                }
                if name == focused:
                    opt.update(focused=True, value=str(value))
                leaf.append(opt)
        resolved: dict[str, dict] = {}
        guild = self.guilds[guild_id]
        for opt in leaf:
            oid = int(opt["value"]) if opt["type"] in (6, 7, 8, 9, 11) and not opt.get("focused") else None
            if oid is None:
                continue
            if oid in self.users:
                resolved.setdefault("users", {})[str(oid)] = self.users[oid].payload()
                if oid in guild.members:
                    member = {
                        **guild.members[oid].payload(False),
                        "permissions": str(compute_permissions(guild, oid)),
                    }
                    resolved.setdefault("members", {})[str(oid)] = member
            elif oid in guild.roles:
                resolved.setdefault("roles", {})[str(oid)] = guild.roles[oid].payload()
            elif oid in self.channels:
                ch = self.channels[oid].payload()
                resolved.setdefault("channels", {})[str(oid)] = {
                    **ch,
                    "permissions": str(compute_permissions(guild, self.bot_user.id, self.channels[oid])),
                }
            elif oid in self.attachments:
                fname, blob, ctype = self.attachments[oid]
                url = f"{self.base_url}/attachments/{oid}/{fname}"
                resolved.setdefault("attachments", {})[str(oid)] = {
                    "id": str(oid),
                    "filename": fname,
                    "size": len(blob),
                    "url": url,
                    "proxy_url": url,
                    "content_type": ctype,
                }
        if subcommand is not None:
            leaf = [{"name": subcommand, "type": 1, "options": leaf}]
        if group is not None:
            leaf = [{"name": group, "type": 2, "options": leaf}]
        return leaf, resolved

    async def dispatch_slash_command(
        self,
        guild_id: IdLike,
        channel_id: IdLike,
        user: IdLike,
        name: str,
        options: None | list | dict[str, Any] = None,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        require_synced: bool = True,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """A user runs /name [group] [subcommand] with ``options`` ({name: value} or raw
        option payloads).  Attachment values are payloads from :meth:`add_attachment`."""
        data = self._command_data(guild_id, name, 1, require_synced)
        data["options"], data["resolved"] = self._build_options(
            self.find_command(guild_id, name), options, subcommand, group, as_id(guild_id)
        )
        return await self._dispatch_interaction(2, channel_id, user, data, locale=locale)

    async def dispatch_autocomplete(
        self,
        guild_id: IdLike,
        channel_id: IdLike,
        user: IdLike,
        name: str,
        options: dict[str, Any],
        focused: str,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        require_synced: bool = True,
    ) -> InteractionRecord:
        """The user is typing option ``focused``; the answer is the type 8 callback's data."""
        data = self._command_data(guild_id, name, 1, require_synced)
        data["options"], _ = self._build_options(
            self.find_command(guild_id, name), options, subcommand, group, as_id(guild_id), focused=focused
        )
        return await self._dispatch_interaction(4, channel_id, user, data)

    async def dispatch_message_context_command(
        self, channel_id: IdLike, user: IdLike, name: str, message_id: IdLike, require_synced: bool = True
    ) -> InteractionRecord:
        msg = self.messages[as_id(message_id)]
        guild_id = self.channels[as_id(channel_id)].guild_id
        data = self._command_data(guild_id, name, 3, require_synced)
        data.update(target_id=msg["id"], resolved={"messages": {msg["id"]: msg}})
        return await self._dispatch_interaction(2, channel_id, user, data)

    async def dispatch_user_context_command(
        self, channel_id: IdLike, user: IdLike, name: str, target: IdLike, require_synced: bool = True
    ) -> InteractionRecord:
        guild_id = self.channels[as_id(channel_id)].guild_id
        data = self._command_data(guild_id, name, 2, require_synced)
        _, resolved = self._build_options(
            None, [{"name": "user", "type": 6, "value": str(as_id(target))}], None, None, guild_id
        )
        data.update(target_id=str(as_id(target)), resolved=resolved)
        return await self._dispatch_interaction(2, channel_id, user, data)

    async def dispatch_component(
        self,
        message_id: IdLike,
        custom_id: str,
        user: IdLike,
        component_type: int = 2,
        values: list[str] | None = None,
    ) -> InteractionRecord:
        """A user clicks a button (2) / picks ``values`` in a select (3 string; 5 user, 6 role,
        7 mentionable, 8 channel selects get ``resolved`` filled) on a stored message."""
        msg = self.messages[as_id(message_id)]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = [str(as_id(v)) if component_type != 3 else v for v in values]
            if component_type in (5, 6, 7, 8):
                as_options = [
                    {"name": "v", "type": {5: 6, 6: 8, 7: 9, 8: 7}[component_type], "value": v}
                    for v in data["values"]
                ]
                _, data["resolved"] = self._build_options(None, as_options, None, None, int(msg["guild_id"]))
        return await self._dispatch_interaction(3, int(msg["channel_id"]), user, data, message=msg)

    async def dispatch_modal_submit(
        self, channel_id: IdLike, user: IdLike, custom_id: str, values: dict[str, str]
    ) -> InteractionRecord:
        """A user submits a modal; ``custom_id`` and the text inputs' custom ids come from
        the type 9 callback's data (``record.callback_data``)."""
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": cid, "value": value}]}
            for cid, value in values.items()
        ]
        return await self._dispatch_interaction(
            5, channel_id, user, {"custom_id": custom_id, "components": rows}
        )
