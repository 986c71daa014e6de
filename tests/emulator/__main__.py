"""Run the emulator standalone so bot processes (e.g. several shards) can connect:

    python -m tests.emulator --port 8765 --token TOKEN

Point each process at it with Route.BASE / DiscordWebSocket.DEFAULT_GATEWAY (printed below).
"""

import argparse
import asyncio
import contextlib

from .emulator import DiscordEmulator


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="emulator-bot-token")
    parser.add_argument("--shards", type=int, default=1, help="shard count reported by GET /gateway/bot")
    args = parser.parse_args()
    emu = DiscordEmulator(args.token)
    emu.recommended_shards = args.shards
    guild = emu.add_guild("qa")
    channel = emu.add_channel(guild, "general")
    await emu.start(port=args.port)
    print(
        f"REST {emu.rest_base}\nGATEWAY {emu.gateway_url}\nTOKEN {emu.token}\n"
        f"GUILD {guild.id} CHANNEL {channel.id}",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
