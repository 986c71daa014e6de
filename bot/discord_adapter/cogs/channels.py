"""Questions asked by message: mentioning the bot anywhere, and every post in the help channels."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.discord_adapter import render
from bot.discord_adapter.errors import NONE, reply_error
from bot.discord_adapter.views import answer_reply

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot

log = logging.getLogger(__name__)
MENTION = re.compile(r"<@!?\d+>")
REMEMBERED_THREADS = 1000  # first questions kept in memory; older threads fetch their starter message
HOW_TO_ASK = "Mention me with a question, e.g. `@qabot how do I install PyTorch with CUDA?`, or use `/ask`."


class Channels(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        self.first_questions: OrderedDict[int, str] = OrderedDict()  # thread id -> its first question

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None or not message.content:
            return
        try:
            # The server's own help channels (/config), else the environment's.
            help_channels = (await self.bot.guild_configs.get(message.guild.id)).help_channel_ids
            thread = self.help_thread(message.channel, help_channels)
            if self.bot.user is not None and self.bot.user in message.mentions:
                await self.answer_mention(message)
            elif thread is not None:
                await self.answer_in_help_thread(message, thread)
            elif message.channel.id in help_channels:
                await self.answer_help_post(message)
        except Exception as error:
            await reply_error(message, error)

    def help_thread(self, channel: object, help_channels: frozenset[int]) -> discord.Thread | None:
        if isinstance(channel, discord.Thread) and channel.parent_id in help_channels:
            return channel
        return None

    async def cooled_down(self, message: discord.Message) -> float | None:
        cooldown = await self.bot.cooldown_for(message.guild.id if message.guild else None)
        return cooldown.retry_after(message.author.id)

    async def answer_mention(self, message: discord.Message) -> None:
        question = MENTION.sub(" ", message.content).strip()
        if not question:
            await message.reply(HOW_TO_ASK, allowed_mentions=NONE, mention_author=False)
            return
        cooldown = await self.bot.cooldown_for(message.guild.id)
        cooldown.take(message.author.id)  # too many: on_message replies with the wait
        async with message.channel.typing():
            asked = await self.bot.ask(question, message.author.id, message.guild.id, message.channel.id)
        await message.reply(
            **answer_reply(asked.answer, asked.question_id, message.author.id), mention_author=False
        )

    async def answer_help_post(self, message: discord.Message) -> None:
        """A new message in a help text channel: answered in a new thread, only when confident."""
        if await self.cooled_down(message):
            return  # silently: help channels must not fill up with bot chatter
        asked = await self.bot.ask(message.content, message.author.id, message.guild.id, message.channel.id)
        if not asked.answer.answered:
            log.info("help post %s not answered (confidence %.2f)", message.id, asked.answer.confidence)
            return
        thread = await message.create_thread(name=render.thread_name(message.content))
        self.remember(thread.id, asked.answer.question)
        await thread.send(**answer_reply(asked.answer, asked.question_id, message.author.id))

    async def answer_in_help_thread(self, message: discord.Message, thread: discord.Thread) -> None:
        """A forum post (its starter message has the thread's id) or a follow-up in a help thread."""
        if message.id == thread.id:  # a new forum post: its title is part of the question
            question, context = f"{thread.name}\n{message.content}", None
        else:
            context = await self.first_question(thread)
            question = f"{context}\n{message.content}" if context else message.content
        if await self.cooled_down(message):
            return
        asked = await self.bot.ask(question, message.author.id, message.guild.id, thread.id)
        if context is None:
            self.remember(thread.id, asked.answer.question)
        if not asked.answer.answered:
            log.info("help message %s not answered (confidence %.2f)", message.id, asked.answer.confidence)
            return
        reply = answer_reply(asked.answer, asked.question_id, message.author.id)
        if message.id == thread.id:
            await thread.send(**reply)
        else:
            await message.reply(**reply, mention_author=False)

    def remember(self, thread_id: int, question: str) -> None:
        self.first_questions[thread_id] = question
        while len(self.first_questions) > REMEMBERED_THREADS:
            self.first_questions.popitem(last=False)

    async def first_question(self, thread: discord.Thread) -> str | None:
        """The question that opened the thread: remembered, or read from its starter message."""
        if thread.id in self.first_questions:
            return self.first_questions[thread.id]
        holder = thread if isinstance(thread.parent, discord.ForumChannel) else thread.parent
        if holder is None:
            return None
        try:
            # A thread's starter message has the thread's id (in the forum thread or the parent channel).
            starter = await holder.fetch_message(thread.id)
        except discord.HTTPException:
            return None
        question = starter.content if holder is thread.parent else f"{thread.name}\n{starter.content}"
        self.remember(thread.id, question)
        return question


async def setup(bot: QABot) -> None:
    await bot.add_cog(Channels(bot))
