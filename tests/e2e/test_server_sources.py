"""A server's own sources end to end: two servers (A and B, neither a home server) with a moderator each,
the tests' docs site on 127.0.0.1, the real model, FAISS and SQLite, real discord.py against the
emulator. A's moderator adds and syncs the site into A's collection; A answers from it with the section's
link, B does not, and the base is untouched; B's moderator can't list, sync or remove A's sources; the
per-server cap refuses in one line; the scheduled round syncs every server, one failure one log line."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import pytest

from bot.discord_adapter.client import create_bot
from bot.settings import CoreSettings
from tests.e2e.conftest import THRESHOLD
from tests.e2e.helpers import message_of
from tests.e2e.test_servers import base_snapshot, run, servers, sources_of  # noqa: F401 (a fixture)
from tests.e2e.test_sources import sources  # noqa: F401 (a fixture)
from tests.emulator import connected_client

pytestmark = pytest.mark.e2e

ASK_GPU = "How do I get GPU support in Quokka?"
ONLY_MODERATORS = "Only moderators can do that. Nothing was changed."
SCHEDULE_LOG = "bot.discord_adapter.cogs.source_schedule"


@pytest.fixture
def start_servers_bot(emu, kb, storage, make_settings, sources):  # noqa: F811
    """The bot with sources, its commands synced globally, and the fixture's guild as the only home."""

    @asynccontextmanager
    async def start(max_sources_per_server: int = 5):
        settings = make_settings(dev_guild_id=None, home_guild_ids=[emu.world.guild.id])
        bot = create_bot(
            kb,
            storage,
            CoreSettings(threshold=THRESHOLD),
            settings,
            guild_ready_timeout=0.1,
            sources=sources,
            max_sources_per_server=max_sources_per_server,
        )
        async with connected_client(emu, bot, timeout=20) as connected:
            yield connected

    return start


async def source(emu, guild, channel, user, subcommand, options=None):
    record = await emu.dispatch_slash_command(
        guild, channel, user, "kb", options or {}, subcommand=subcommand, group="source"
    )
    return await record.wait(60)


def site_urls(answer, site) -> list[str]:  # noqa: F811
    return [hit.passage.url for hit in answer.hits if (hit.passage.url or "").startswith(site.base)]


async def test_a_servers_moderator_syncs_a_site_into_its_own_collection_only(
    emu,
    servers,  # noqa: F811
    start_servers_bot,
    site,  # noqa: F811
    sources,  # noqa: F811
    kb,
    storage,
):
    s, alice = servers, emu.world.alice
    sources.add("handbook", "https://docs.example.org/handbook.pdf")  # the base's, never synced here
    base_before = base_snapshot(kb)
    async with start_servers_bot() as bot:
        location = f"{site.base}/docs/"
        added = await source(emu, s.a, s.a_general, s.mod_a, "add", {"name": "quokka", "location": location})
        assert added.content.startswith("Added source `quokka` (website) to this server's collection.")
        synced = await source(emu, s.a, s.a_general, s.mod_a, "sync")
        assert "quokka: 3 written, 0 unchanged, 0 removed, 1 failed" in synced.content
        assert "Added: `sources/quokka/index.md`" in synced.content
        assert (bot.collections.knowledge_dir(s.a.id) / "sources" / "quokka" / "install.md").is_file()

        in_a = await run(emu, s.a, s.a_general, alice, "ask", {"question": ASK_GPU})
        assert "quokka[cuda]" in message_of(emu, in_a)["embeds"][0]["description"]
        assert f"({site.base}/docs/install.html#gpu-support)" in sources_of(emu, in_a)
        in_b = await run(emu, s.b, s.b_general, alice, "ask", {"question": ASK_GPU})
        assert site.base not in sources_of(emu, in_b)
        assert site_urls(await bot.answer(ASK_GPU, s.b.id), site) == []
        assert site_urls(await bot.answer(ASK_GPU, None), site) == []  # nor the base, anywhere
        assert base_snapshot(kb) == base_before and [x.name for x in sources.all_sources()] == ["handbook"]

        listed_a = await source(emu, s.a, s.a_general, s.mod_a, "list")
        handbook = "`handbook` file <https://docs.example.org/handbook.pdf> (base)"
        assert listed_a.content.splitlines() == [f"`quokka` website <{location}>", handbook]
        listed_b = await source(emu, s.b, s.b_general, s.mod_b, "list")
        assert listed_b.content.splitlines() == [
            "This server has no sources yet; add one with `/kb source add`.",
            handbook,
        ]

        requests = sum(site.requests.values())
        for subcommand, options in (("list", {}), ("sync", {}), ("remove", {"name": "quokka"})):
            refused = await source(emu, s.a, s.a_general, s.mod_b, subcommand, options)
            assert refused.content == ONLY_MODERATORS
        not_theirs = await source(emu, s.b, s.b_general, s.mod_b, "remove", {"name": "quokka"})
        assert not_theirs.content.startswith("There is no source named 'quokka'")
        to_base = await source(
            emu, s.b, s.b_general, s.mod_b, "add", {"name": "x", "location": location, "scope": "base"}
        )
        assert to_base.content.startswith("/kb source add on the base collection only works")
        assert [x.name for x in bot.sources.of(s.a.id).all_sources()] == ["quokka"]
        assert sum(site.requests.values()) == requests and bot.collections.exists(s.a.id)
        assert [x.name for x in sources.all_sources()] == ["handbook"]

        removed = await source(emu, s.a, s.a_general, s.mod_a, "remove", {"name": "quokka"})
        assert removed.content.startswith("Removed `quokka` and reindexed")
        assert not bot.collections.exists(s.a.id)  # its only articles: A answers from the base alone again
        assert site_urls(await bot.answer(ASK_GPU, s.a.id), site) == []
    refused = [(e.guild_id, e.action) for e in storage.audit_trail() if e.result.startswith("refused")]
    assert sorted(refused) == sorted(
        [(s.a.id, f"kb source {verb}") for verb in ("list", "sync", "remove")] + [(s.b.id, "kb source add")]
    )


async def test_the_cap_refuses_in_one_line_and_the_schedule_syncs_every_servers_sources(
    emu,
    servers,  # noqa: F811
    start_servers_bot,
    site,  # noqa: F811
    kb,
    storage,
    caplog,
):
    s = servers
    async with start_servers_bot(max_sources_per_server=1) as bot:
        location = f"{site.base}/docs/"
        first = await source(emu, s.b, s.b_general, s.mod_b, "add", {"name": "quokka", "location": location})
        assert first.content.startswith("Added source `quokka` (website)")
        second = await source(emu, s.b, s.b_general, s.mod_b, "add", {"name": "more", "location": location})
        assert second.content == (
            "This server has 1 source, the most it may have (QABOT_MAX_SOURCES_PER_SERVER); remove one "
            "with /kb source remove first. Nothing was changed."
        )
        assert [x.name for x in bot.sources.of(s.b.id).all_sources()] == ["quokka"]
        assert storage.audit_trail(guild_id=s.b.id)[0].result.startswith("refused: this server has 1")

        # A's source list, damaged by hand, fails its round; B's, after it, is synced all the same.
        damaged = bot.collections.folder(s.a.id) / "sources"
        damaged.mkdir(parents=True)
        (damaged / "sources.json").write_text("{damaged")
        base_before = base_snapshot(kb)
        with caplog.at_level(logging.INFO, logger=SCHEDULE_LOG):
            await bot.get_cog("SourceSchedule").sync_all()
        failures = [r.getMessage() for r in caplog.records if r.name == SCHEDULE_LOG and r.levelno >= 30]
        assert len(failures) == 1 and f"server {s.a.id} collection failed" in failures[0]
        assert "the source list is damaged" in failures[0]
        answer = await bot.answer(ASK_GPU, s.b.id)
        assert answer.sources[0].url == f"{site.base}/docs/install.html#gpu-support"
        assert base_snapshot(kb) == base_before and not bot.collections.exists(s.a.id)
