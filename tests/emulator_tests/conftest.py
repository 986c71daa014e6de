"""Fixtures for the emulator's own tests: a populated emulator, a small real discord.py
bot (slash command, button view, context menu, autocomplete, on_message), and guards
(no unhandled routes, no emulator bugs, no discord.py ERROR logs, hard time limit)."""

from __future__ import annotations

import asyncio
import pathlib
import sys
from types import SimpleNamespace

import discord
import pytest
import pytest_asyncio
from discord import app_commands

ROOT = pathlib.Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # so plain `pytest` works as well as `python -m pytest`
    sys.path.insert(0, str(ROOT))

from tests.conftest import hard_time_limit  # noqa: E402
from tests.emulator import DiscordEmulator, DiscordErrorCollector  # noqa: E402

TEST_TIME_LIMIT = 60  # seconds; a hung test kills the run with a traceback instead of hanging CI


time_limit = hard_time_limit(TEST_TIME_LIMIT)


@pytest.fixture
def discord_errors():
    with DiscordErrorCollector() as collector:
        yield collector
    collector.assert_clean()


@pytest_asyncio.fixture
async def emu():
    """Emulator with guild 'qa' (#general text, #help forum) and member alice."""
    emulator = DiscordEmulator(heartbeat_interval_ms=100)
    await emulator.start()
    guild = emulator.add_guild("qa")
    emulator.world = SimpleNamespace(
        guild=guild,
        general=emulator.add_channel(guild, "general"),
        forum=emulator.add_channel(guild, "help", 15),
        alice=emulator.add_user("alice"),
    )
    emulator.add_member(guild, emulator.world.alice)
    try:
        yield emulator
    finally:
        await emulator.stop()
    emulator.assert_clean()


class PingView(discord.ui.View):
    @discord.ui.button(label="Ping", custom_id="ping")
    async def ping(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="pong", view=None)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="Your feedback", custom_id="feedback-text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks for: {self.text.value}")


class QABot(discord.Client):
    def __init__(self, guild_id: int, *, message_content: bool = True, **kwargs) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(intents=intents, guild_ready_timeout=0.1, **kwargs)
        self.guild_id = guild_id
        self.seen_messages: list[discord.Message] = []
        self.tree = tree = app_commands.CommandTree(self)
        guild = discord.Object(guild_id)

        @tree.command(name="ask", description="Ask a question", guild=guild)
        async def ask(
            interaction: discord.Interaction, question: str, file: discord.Attachment | None = None
        ):
            await interaction.response.defer(thinking=True)
            if file is None:
                await interaction.followup.send(f"answer: {question}")
            else:
                data = await file.read()
                await interaction.followup.send(
                    f"{file.filename}: {len(data)} bytes",
                    file=discord.File(__import__("io").BytesIO(data), "copy.txt"),
                )

        @tree.command(name="panel", description="Show a button", guild=guild)
        async def panel(interaction: discord.Interaction):
            await interaction.response.send_message("press it", view=PingView())

        @tree.command(name="slow", description="Answers too late", guild=guild)
        async def slow(interaction: discord.Interaction):
            await asyncio.sleep(0.4)
            await interaction.response.send_message("late")

        @tree.command(name="pick", description="Autocomplete", guild=guild)
        async def pick(interaction: discord.Interaction, fruit: str):
            await interaction.response.send_message(f"picked {fruit}", ephemeral=True)

        @pick.autocomplete("fruit")
        async def fruit_autocomplete(interaction: discord.Interaction, current: str):
            fruits = ("apple", "banana", "cherry")
            return [app_commands.Choice(name=f, value=f) for f in fruits if f.startswith(current)]

        @tree.command(name="feedback", description="Opens a modal", guild=guild)
        async def feedback(interaction: discord.Interaction):
            await interaction.response.send_modal(FeedbackModal())

        admin = app_commands.Group(name="admin", description="Admin tools", guild_ids=[guild_id])
        roles = app_commands.Group(name="roles", description="Role tools", parent=admin)

        @admin.command(name="warn", description="Warn a member")
        async def warn(interaction: discord.Interaction, member: discord.Member, reason: str):
            await interaction.response.send_message(f"warned {member.display_name}: {reason}")

        @roles.command(name="show", description="Show a role")
        async def show(interaction: discord.Interaction, role: discord.Role):
            await interaction.response.send_message(f"role {role.name}")

        tree.add_command(admin)

        @tree.context_menu(name="Whois", guild=guild)
        async def whois(interaction: discord.Interaction, member: discord.Member):
            await interaction.response.send_message(f"{member.name} joined {member.guild.name}")

        @tree.context_menu(name="Count words", guild=guild)
        async def count_words(interaction: discord.Interaction, message: discord.Message):
            await interaction.response.send_message(f"{len(message.content.split())} words")

    async def on_message(self, message: discord.Message) -> None:
        self.seen_messages.append(message)
        if message.author.bot:
            return
        if message.content == "!ping":
            await message.reply("pong")
        elif message.content == "!thread":
            thread = await message.create_thread(name="discussion")
            await thread.send("thread started")
        elif message.content == "!react":
            await message.add_reaction("\N{THUMBS UP SIGN}")

    async def on_thread_create(self, thread: discord.Thread) -> None:
        if isinstance(thread.parent, discord.ForumChannel) and thread.owner_id != self.user.id:
            await thread.send("welcome to the forum")


@pytest.fixture
def make_bot(emu):
    return lambda **kwargs: QABot(emu.world.guild.id, **kwargs)
