"""Local Discord API emulator (REST + gateway) for testing qabot with a real discord.py client.

async with DiscordEmulator() as emu:
    guild = emu.add_guild('qa'); channel = emu.add_channel(guild, 'general')
    async with connected_client(emu, MyClient(intents=..., guild_ready_timeout=0.1)) as client:
        record = await emu.dispatch_slash_command(guild, channel, user, 'ask', {'question': 'hi'})
        await record.wait(3)
"""

from .client import DiscordErrorCollector, connected_client
from .emulator import DiscordEmulator
from .gateway import GatewayConnection
from .interactions import InteractionRecord
from .rest import RecordedRequest
from .state import ALL_PERMISSIONS, DEFAULT_BOT, DEFAULT_EVERYONE, Channel, Guild, Member, Role, User

__all__ = [
    "DiscordEmulator",
    "connected_client",
    "DiscordErrorCollector",
    "GatewayConnection",
    "InteractionRecord",
    "RecordedRequest",
    "User",
    "Guild",
    "Role",
    "Channel",
    "Member",
    "ALL_PERMISSIONS",
    "DEFAULT_BOT",
    "DEFAULT_EVERYONE",
]
