"""Many servers, one bot, end to end: two servers (A and B) with a moderator each, the real model, real
FAISS and SQLite, real discord.py against the emulator. Each server answers from its own collection and
the base, never the other's; B's moderator can't change A's collection or the base; a base article B
removes is hidden in B only; /config and /kb stats stay inside their server."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest

from bot.core.collections import Collections
from bot.core.quota import Quota
from tests.e2e.conftest import MANAGE_GUILD
from tests.e2e.helpers import QUOKKA_ARTICLE, message_of

pytestmark = pytest.mark.e2e

WOMBAT = b"""---
title: Wombat, the imaginary training scheduler
---

## Scheduling jobs with Wombat

Wombat schedules training jobs on idle burrows with `wombat submit job.yaml`. Each job gets one burrow.
The Wombat scheduler retries a failed job three times before it gives up.
"""
ASK_QUOKKA = "How do I install the Quokka tensor library?"
ASK_WOMBAT = "How do I submit a training job to the Wombat scheduler?"
ASK_KERAS = "What is Keras?"


@pytest.fixture
def servers(emu):
    """Servers A and B beside the fixture's guild: a #general each, a moderator each (Manage Server in
    their own server only), alice in both, and B's moderator a plain member of A."""
    s = SimpleNamespace()
    for name in ("a", "b"):
        guild = emu.add_guild(f"server-{name}")
        setattr(s, name, guild)
        setattr(s, f"{name}_general", emu.add_channel(guild, "general"))
        role = emu.add_role(guild, "admins", MANAGE_GUILD)
        moderator = emu.add_user(f"mod-{name}")
        emu.add_member(guild, moderator, roles=[role])
        setattr(s, f"mod_{name}", moderator)
        emu.add_member(guild, emu.world.alice)
    emu.add_member(s.a, s.mod_b)
    return s


@pytest.fixture
def start_servers_bot(start_bot, emu):
    """The bot with its commands synced globally (so every server has them) and the fixture's guild as
    the only home server: neither A nor B may change the base."""
    return lambda **overrides: start_bot(dev_guild_id=None, home_guild_ids=[emu.world.guild.id], **overrides)


async def run(emu, guild, channel, user, name, options=None, subcommand=None):
    record = await emu.dispatch_slash_command(
        guild, channel, user, name, options or {}, subcommand=subcommand
    )
    return await record.wait(60)


def sources_of(emu, record) -> str:
    """The Sources field of an answer, or its refusal text."""
    message = message_of(emu, record)
    if not message.get("embeds"):
        return message.get("content") or ""
    return "\n".join(field["value"] for field in message["embeds"][0].get("fields", []))


def base_snapshot(kb):
    files = sorted(
        p.relative_to(kb.knowledge_dir).as_posix() for p in kb.knowledge_dir.rglob("*") if p.is_file()
    )
    return files, kb.generation


async def add_article(emu, guild, channel, moderator, filename, data):
    upload = emu.add_attachment(filename, data, "text/markdown")
    return await run(emu, guild, channel, moderator, "kb", {"file": upload}, "add")


async def test_each_server_answers_from_its_own_article_and_counts_only_its_own_questions(
    emu, servers, start_servers_bot, kb, storage
):
    s = servers
    async with start_servers_bot() as bot:
        added_a = await add_article(emu, s.a, s.a_general, s.mod_a, "quokka.md", QUOKKA_ARTICLE)
        added_b = await add_article(emu, s.b, s.b_general, s.mod_b, "wombat.md", WOMBAT)
        assert "Saved as `quokka.md`" in added_a.content and "Saved as `wombat.md`" in added_b.content
        assert not (kb.knowledge_dir / "quokka.md").exists() and not (kb.knowledge_dir / "wombat.md").exists()

        in_a = await run(emu, s.a, s.a_general, emu.world.alice, "ask", {"question": ASK_QUOKKA})
        assert sources_of(emu, in_a).startswith("1. [Quokka, the imaginary tensor library")
        assert "(this server)" in sources_of(emu, in_a)
        wombat_in_a = await run(emu, s.a, s.a_general, emu.world.alice, "ask", {"question": ASK_WOMBAT})
        assert "Wombat" not in sources_of(emu, wombat_in_a)
        in_b = await run(emu, s.b, s.b_general, emu.world.alice, "ask", {"question": ASK_WOMBAT})
        assert sources_of(emu, in_b).startswith("1. Wombat, the imaginary training scheduler")
        quokka_in_b = await bot.answer(ASK_QUOKKA, s.b.id)
        assert "quokka.md" not in {
            hit.passage.doc_path for hit in quokka_in_b.hits if hit.collection == "server"
        }
        assert all(hit.collection in ("base", "server") for hit in quokka_in_b.hits)
        assert not any("Quokka" in hit.passage.title for hit in quokka_in_b.hits)

        stats = await run(emu, s.a, s.a_general, s.mod_a, "kb", {"period": 7}, "stats")
        fields = {f["name"]: f["value"] for f in stats.answer["embeds"][0]["fields"]}
        assert fields["Asked"] == "2"  # the two questions asked in A, none of B's
        assert storage.stats(7, s.b.id).asked == 1


async def test_the_moderator_of_b_cannot_change_a_or_the_base_and_b_hides_base_articles_for_itself(
    emu, servers, start_servers_bot, kb, storage
):
    s = servers
    async with start_servers_bot() as bot:
        await add_article(emu, s.a, s.a_general, s.mod_a, "quokka.md", QUOKKA_ARTICLE)
        a_before = sorted(p.name for p in bot.collections.knowledge_dir(s.a.id).iterdir())
        base_before = base_snapshot(kb)

        in_a = await add_article(emu, s.a, s.a_general, s.mod_b, "wombat.md", WOMBAT)
        assert "Only moderators" in in_a.content
        removed_in_a = await run(emu, s.a, s.a_general, s.mod_b, "kb", {"article": "quokka.md"}, "remove")
        assert "Only moderators" in removed_in_a.content
        upload = emu.add_attachment("wombat.md", WOMBAT, "text/markdown")
        to_base = await run(emu, s.b, s.b_general, s.mod_b, "kb", {"file": upload, "scope": "base"}, "add")
        assert "base collection only works in the operator's home servers" in to_base.content
        assert "Nothing was changed" in to_base.content
        off_base = await run(
            emu, s.b, s.b_general, s.mod_b, "kb", {"article": "keras.md", "scope": "base"}, "remove"
        )
        assert "Nothing was changed" in off_base.content
        reindex_base = await run(emu, s.b, s.b_general, s.mod_b, "kb", {"scope": "base"}, "reindex")
        assert "Nothing was changed" in reindex_base.content
        assert sorted(p.name for p in bot.collections.knowledge_dir(s.a.id).iterdir()) == a_before
        assert base_snapshot(kb) == base_before and not bot.collections.exists(s.b.id)
        refusals = [(e.guild_id, e.action) for e in storage.audit_trail() if e.result.startswith("refused")]
        assert sorted(refusals) == sorted(
            [(s.a.id, "kb add"), (s.a.id, "kb remove")]
            + [(s.b.id, "kb add"), (s.b.id, "kb remove"), (s.b.id, "kb reindex")]
        )

        nothing = await run(emu, s.b, s.b_general, s.mod_b, "kb", {}, "reindex")
        assert "This server has no collection of its own yet" in nothing.content

        hidden = await run(emu, s.b, s.b_general, s.mod_b, "kb", {"article": "keras.md"}, "remove")
        assert "hidden in this server only" in hidden.content
        assert base_snapshot(kb) == base_before
        keras_in_b = await bot.answer(ASK_KERAS, s.b.id)
        assert "keras.md" not in {hit.passage.doc_path for hit in keras_in_b.hits}
        keras_in_a = await run(emu, s.a, s.a_general, emu.world.alice, "ask", {"question": ASK_KERAS})
        assert "Keras: the high-level deep-learning API" in sources_of(emu, keras_in_a).splitlines()[0]
        asked_in_b = await run(emu, s.b, s.b_general, emu.world.alice, "ask", {"question": ASK_KERAS})
        assert "Keras: the high-level" not in sources_of(emu, asked_in_b)

        restored = await run(emu, s.b, s.b_general, s.mod_b, "kb", {"article": "keras.md"}, "restore")
        assert "answered from again" in restored.content
        assert "keras.md" in {hit.passage.doc_path for hit in (await bot.answer(ASK_KERAS, s.b.id)).hits}


async def test_config_in_a_leaves_b_alone_and_only_moderators_may_use_it(
    emu, servers, start_servers_bot, storage
):
    s = servers
    async with start_servers_bot():
        refused = await run(emu, s.a, s.a_general, emu.world.alice, "config", {}, "show")
        assert "Only moderators" in refused.content
        changed = await run(
            emu, s.a, s.a_general, s.mod_a, "config", {"name": "threshold", "value": "0.99"}, "set"
        )
        assert "`threshold` set" in changed.content and "`threshold` = 0.99" in changed.content
        bad = await run(emu, s.a, s.a_general, s.mod_a, "config", {"name": "threshold", "value": "2"}, "set")
        assert "was not changed" in bad.content and storage.guild_settings(s.a.id) == {"threshold": "0.99"}

        in_a = await run(emu, s.a, s.a_general, emu.world.alice, "ask", {"question": ASK_KERAS})
        assert not message_of(emu, in_a).get("embeds")  # 0.99: A declines
        in_b = await run(emu, s.b, s.b_general, emu.world.alice, "ask", {"question": ASK_KERAS})
        assert message_of(emu, in_b)["embeds"]  # B's default threshold answers
        shown_in_b = await run(emu, s.b, s.b_general, s.mod_b, "config", {}, "show")
        assert "`threshold` = 0.5 (default)" in shown_in_b.content
        assert storage.guild_settings(s.b.id) == {}

        private = await run(
            emu, s.b, s.b_general, s.mod_b, "config", {"name": "private-answers", "value": "on"}, "set"
        )
        assert "`private-answers` = on" in private.content
        ephemeral = await run(emu, s.b, s.b_general, emu.world.alice, "ask", {"question": ASK_KERAS})
        assert ephemeral.callback_data["flags"] & 64
        public = await run(emu, s.a, s.a_general, emu.world.alice, "ask", {"question": ASK_KERAS})
        assert not (public.callback_data or {}).get("flags", 0) & 64

        reset = await run(emu, s.a, s.a_general, s.mod_a, "config", {"name": "threshold"}, "reset")
        assert "`threshold` = 0.5 (default)" in reset.content
        actions = [(e.guild_id, e.action) for e in storage.audit_trail() if e.action.startswith("config")]
        assert (s.a.id, "config set") in actions and (s.a.id, "config reset") in actions
        assert (s.b.id, "config set") in actions


async def test_a_server_the_bot_leaves_is_forgotten_after_the_retention_period(
    emu, servers, start_servers_bot, storage, monkeypatch
):
    s = servers
    async with start_servers_bot() as bot:
        await add_article(emu, s.a, s.a_general, s.mod_a, "quokka.md", QUOKKA_ARTICLE)
        await add_article(emu, s.b, s.b_general, s.mod_b, "wombat.md", WOMBAT)
        await run(emu, s.a, s.a_general, emu.world.alice, "ask", {"question": ASK_QUOKKA})
        await emu.dispatch("GUILD_DELETE", {"id": str(s.a.id)}, s.a.id)
        await bot.wait_for("guild_remove", timeout=10)
        await bot.purge_once()  # within the retention period: everything kept
        assert bot.collections.exists(s.a.id) and storage.stats(None, s.a.id).asked == 1
        later = storage._clock() + (storage.retention_days + 1) * 86_400
        monkeypatch.setattr(storage, "_clock", lambda: later)
        await bot.purge_once()
        assert not bot.collections.exists(s.a.id) and not bot.collections.folder(s.a.id).exists()
        assert storage.stats(None, s.a.id).asked == 0 and storage.audit_trail(guild_id=s.a.id) == []
        assert bot.collections.exists(s.b.id) and storage.audit_trail(guild_id=s.b.id) != []


async def test_a_collection_another_process_changed_is_served_without_a_restart(
    emu, servers, start_servers_bot, kb
):
    s = servers
    async with start_servers_bot(index_poll_seconds=0.5) as bot:
        await add_article(emu, s.a, s.a_general, s.mod_a, "quokka.md", QUOKKA_ARTICLE)
        listed = await run(emu, s.a, s.a_general, s.mod_a, "kb", {}, "list")
        assert listed.callback_data["embeds"][0]["title"] == "This server's collection: 1 articles"
        # Another process (a second shard, or `qabot index --collection`) over the same folders:
        other = Collections(kb, bot.collections.root, memory_budget=10**9)
        await asyncio.to_thread(other.add, s.a.id, "wombat.md", WOMBAT, limit=100_000, replace=False)
        deadline = time.monotonic() + 20
        while "wombat.md" not in {a.path for a in bot.collections.loaded(s.a.id).articles()}:
            assert time.monotonic() < deadline, "the poll never picked up the other process's build"
            await asyncio.sleep(0.2)
        in_a = await run(emu, s.a, s.a_general, emu.world.alice, "ask", {"question": ASK_WOMBAT})
        assert sources_of(emu, in_a).startswith("1. Wombat, the imaginary training scheduler")


async def test_an_upload_past_a_servers_quota_is_refused_and_leaves_both_servers_as_they_were(
    emu, servers, start_servers_bot, kb, storage
):
    s = servers
    async with start_servers_bot() as bot:
        bot.collections.quota = Quota(max_articles=1, max_bytes=2**20)  # QABOT_MAX_SERVER_ARTICLES=1
        await add_article(emu, s.a, s.a_general, s.mod_a, "quokka.md", QUOKKA_ARTICLE)
        a_folder = bot.collections.knowledge_dir(s.a.id)
        a_before, base_before = sorted(a_folder.iterdir()), base_snapshot(kb)
        generation = bot.collections.loaded(s.a.id).generation

        refused = await add_article(emu, s.a, s.a_general, s.mod_a, "wombat.md", WOMBAT)
        assert "QABOT_MAX_SERVER_ARTICLES" in refused.content
        assert refused.content.startswith("This server's collection would hold 2 articles")
        assert refused.content.endswith("Nothing was changed.")
        assert sorted(a_folder.iterdir()) == a_before and base_snapshot(kb) == base_before
        assert bot.collections.loaded(s.a.id).generation == generation
        refusals = [e.result for e in storage.audit_trail(guild_id=s.a.id) if e.result.startswith("refused")]
        assert len(refusals) == 1 and "QABOT_MAX_SERVER_ARTICLES" in refusals[0]

        in_b = await add_article(emu, s.b, s.b_general, s.mod_b, "wombat.md", WOMBAT)  # its own quota
        assert "Saved as `wombat.md`" in in_b.content
        listed = await run(emu, s.a, s.a_general, s.mod_a, "kb", {}, "list")
        assert listed.callback_data["content"] == "Quota: 1 of 1 articles, 0.0 of 1 MB."


async def test_kb_list_pages_through_the_servers_own_collection(emu, servers, start_servers_bot, kb):
    s = servers
    async with start_servers_bot() as bot:
        folder = bot.collections.knowledge_dir(s.a.id)
        folder.mkdir(parents=True)
        for number in range(11):  # one more than a page
            (folder / f"animal-{number:02}.md").write_text(
                f"---\ntitle: Imaginary animal {number:02}\n---\n\n## About it\n\nAnimal {number} digs.\n"
            )
        await asyncio.to_thread(bot.collections.reindex, s.a.id)

        listed = await run(emu, s.a, s.a_general, s.mod_a, "kb", {}, "list")
        message = message_of(emu, listed)
        embed = message["embeds"][0]
        assert embed["title"] == "This server's collection: 11 articles"
        assert embed["footer"]["text"] == "Page 1 of 2"
        next_id = message["components"][0]["components"][1]["custom_id"]
        assert next_id.endswith(":server")
        turned = await (await emu.dispatch_component(message["id"], next_id, s.mod_a)).wait(60)
        page_two = turned.answer["embeds"][0]
        assert page_two["footer"]["text"] == "Page 2 of 2"
        assert "Imaginary animal 10" in str(page_two) and not any(
            article.title in str(page_two) for article in kb.articles()
        )  # the server's last article, none of the base's
