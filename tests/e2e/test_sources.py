"""/kb source end to end in a home server (the base's sources): a moderator adds and syncs the tests'
docs site (on 127.0.0.1) through the emulator, and /ask then answers from it with a link to the section.
Everyone else is refused. A server's own sources: tests/e2e/test_server_sources.py."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest

from bot.discord_adapter.client import create_bot
from bot.settings import CoreSettings
from bot.sources.service import SourceService
from tests.e2e.conftest import THRESHOLD
from tests.e2e.helpers import message_of, slash
from tests.emulator import connected_client
from tests.sources.conftest import TEST_POLICY

pytestmark = pytest.mark.e2e


@pytest.fixture
def sources(kb, tmp_path) -> SourceService:
    return SourceService(tmp_path / "sources", kb.knowledge_dir, TEST_POLICY)


@pytest.fixture
def start_bot(emu, kb, storage, make_settings, sources):
    @asynccontextmanager
    async def start(**overrides):
        bot = create_bot(
            kb,
            storage,
            CoreSettings(threshold=THRESHOLD),
            make_settings(**overrides),
            guild_ready_timeout=0.1,
            sources=sources,
        )
        async with connected_client(emu, bot, timeout=20) as connected:
            yield connected

    return start


async def source_command(emu, user, subcommand, options=None):
    w = emu.world
    record = await emu.dispatch_slash_command(
        w.guild, w.general, user, "kb", options or {}, subcommand=subcommand, group="source"
    )
    return await record.wait(60)


async def test_moderator_syncs_a_site_and_ask_cites_its_section(emu, start_bot, site, kb, storage):
    w = emu.world
    async with start_bot():
        added = await source_command(emu, w.mod, "add", {"name": "quokka", "location": f"{site.base}/docs/"})
        assert added.content.startswith("Added source `quokka` (website)")
        synced = await source_command(emu, w.mod, "sync", {"name": "quokka"})
        assert "quokka: 3 written, 0 unchanged, 0 removed, 1 failed" in synced.content
        assert f"failed {site.base}/docs/broken.html: HTTP 500" in synced.content
        assert "Added: `sources/quokka/index.md`" in synced.content
        listed = await source_command(emu, w.mod, "list")
        assert listed.content.startswith("`quokka` website")

        record = await slash(emu, w.alice, "ask", {"question": "How do I get GPU support in Quokka?"})
        [embed] = message_of(emu, record)["embeds"]
        assert "quokka[cuda]" in embed["description"]
        [sources] = embed["fields"]
        assert f"({site.base}/docs/install.html#gpu-support)" in sources["value"]
        removed = await source_command(emu, w.mod, "remove", {"name": "quokka"})
        assert removed.content.startswith("Removed `quokka` and reindexed")
        assert "Removed: `sources/quokka/index.md`" in removed.content
        hits = kb.ask("How do I get GPU support in Quokka?").hits
        assert not [hit for hit in hits if hit.passage.doc_path.startswith("sources/")]
    actions = [entry.action for entry in storage.audit_trail()]
    assert [actions.count(f"kb source {verb}") for verb in ("add", "sync", "remove")] == [1, 1, 1]


async def test_a_scheduled_round_syncs_every_source(emu, start_bot, site, sources, kb):
    sources.add("quokka", f"{site.base}/docs/")
    async with start_bot() as bot:
        schedule = bot.get_cog("SourceSchedule")
        assert not schedule.run.is_running()  # QABOT_SYNC_INTERVAL_MINUTES is 0: no schedule
        await schedule.sync_all()  # what each round of the schedule does
    answer = kb.ask("How do I get GPU support in Quokka?")
    assert answer.answered and answer.sources[0].url == f"{site.base}/docs/install.html#gpu-support"


async def test_sources_are_for_moderators_only_and_local_paths_never(emu, start_bot, site, sources, tmp_path):
    w = emu.world
    async with start_bot():
        refused = await source_command(emu, w.alice, "add", {"name": "x", "location": f"{site.base}/docs/"})
        assert refused.content == "Only moderators can do that. Nothing was changed."
        local = await source_command(
            emu, w.mod, "add", {"name": "repo", "location": str(tmp_path), "kind": "git"}
        )
        assert local.content.startswith("Refused ") and "only from the command line" in local.content
        private = await source_command(emu, w.mod, "add", {"name": "meta", "location": "file:///etc/passwd"})
        assert "only http and https" in private.content
        repo = await source_command(
            emu,
            w.mod,
            "add",
            {"name": "lib", "location": f"{site.base}/lib.git", "branch": "next", "folder": "docs"},
        )
        assert repo.content.startswith("Added source `lib` (git)")
    [added] = sources.all_sources()
    assert (added.kind, added.branch, added.folder) == ("git", "next", "docs")
    assert sum(site.requests.values()) == 0  # adding fetches nothing


async def test_the_bases_sources_change_only_from_a_home_server(emu, start_bot, site, sources, storage):
    """The base's sources feed every server: `scope: base` elsewhere is refused, as /kb add's is."""
    w = emu.world
    sources.add("quokka", f"{site.base}/docs/")
    async with start_bot(home_guild_ids=[1]):  # some other server is the operator's home
        for subcommand, options in (
            ("add", {"name": "x", "location": f"{site.base}/docs/"}),
            ("sync", {}),
            ("remove", {"name": "quokka"}),
        ):
            refused = await source_command(emu, w.mod, subcommand, {**options, "scope": "base"})
            assert refused.content.startswith(f"/kb source {subcommand} on the base collection only works")
        listed = await source_command(emu, w.mod, "list", {"scope": "base"})
        assert listed.content.startswith("`quokka` website")
    assert [s.name for s in sources.all_sources()] == ["quokka"] and sum(site.requests.values()) == 0
    refusals = [e for e in storage.audit_trail() if e.result.startswith("refused:")]
    assert len(refusals) == 3
