"""Server settings a hostile or careless moderator might store, end to end with real discord.py against
the emulator: @everyone as a moderator role makes nobody a moderator."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import slash

pytestmark = pytest.mark.e2e


async def test_everyone_stored_as_a_moderator_role_makes_no_member_a_moderator(emu, start_bot, storage):
    guild = emu.world.guild
    storage.set_guild_setting(guild.id, "moderator-roles", str(guild.id))  # stored before it was refused
    async with start_bot():
        refused = await slash(emu, emu.world.alice, "kb", {}, subcommand="list")
        assert "Only moderators" in refused.content
        setting = await slash(
            emu,
            emu.world.manager,  # Manage Server: the stored roles no longer make `mod` one
            "config",
            {"name": "moderator-roles", "value": f"<@&{guild.id}>"},
            subcommand="set",
        )
        assert "@everyone can't be a moderator role" in setting.content
