"""/kb: every command works for moderators and is refused (changing nothing) for everyone else."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from tests.conftest import SHIPPED_ARTICLES
from tests.e2e.helpers import ANSWER_TIMEOUT, QUOKKA_ARTICLE, message_of, slash

pytestmark = pytest.mark.e2e


def snapshot(kb):
    files = sorted(
        p.relative_to(kb.knowledge_dir).as_posix() for p in kb.knowledge_dir.rglob("*") if p.is_file()
    )
    return files, kb.generation


async def kb_command(emu, user, subcommand, options=None):
    return await slash(emu, user, "kb", options, subcommand=subcommand)


async def test_reindex_reports_what_changed(emu, start_bot, kb, storage, caplog):
    caplog.set_level(logging.INFO)
    (kb.knowledge_dir / "quokka.md").write_bytes(QUOKKA_ARTICLE)
    async with start_bot():
        record = await kb_command(emu, emu.world.mod, "reindex")
        assert record.callback_type == 5 and record.callback_data["flags"] & 64
        assert "Reindexed in" in record.content and "Added: `quokka.md`" in record.content
        answer = kb.ask("How do I install Quokka?")
        assert answer.answered and answer.sources[0].path == "quokka.md"
        [entry] = storage.audit_trail()
        assert (entry.action, entry.actor_name) == ("kb reindex", "") and "Reindexed" in entry.result
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
    assert "moderator action by user:" in ours and str(emu.world.mod.id) not in ours


async def test_moderator_names_are_kept_only_when_the_operator_opts_in(emu, start_bot, storage):
    async with start_bot(audit_moderator_names=True):
        await kb_command(emu, emu.world.mod, "list")
    [entry] = storage.audit_trail()
    assert (entry.action, entry.actor_name) == ("kb list", "mod")


async def test_manage_server_permission_makes_a_moderator(emu, start_bot):
    async with start_bot():
        record = await kb_command(emu, emu.world.manager, "list")
        assert record.callback_data["embeds"][0]["title"].startswith(
            f"Knowledge base: {SHIPPED_ARTICLES} articles"
        )


async def test_add_saves_a_valid_article_and_reindexes(emu, start_bot, kb):
    upload = emu.add_attachment("Quokka Guide.md", QUOKKA_ARTICLE, "text/markdown")
    async with start_bot():
        record = await kb_command(emu, emu.world.mod, "add", {"file": upload})
        assert "Saved as `quokka-guide.md`" in record.content and "Added: `quokka-guide.md`" in record.content
        assert (kb.knowledge_dir / "quokka-guide.md").read_bytes() == QUOKKA_ARTICLE
        assert "quokka-guide.md" in {a.path for a in kb.articles()}
        again = await kb_command(emu, emu.world.mod, "add", {"file": upload})
        assert "already exists" in again.content and "replace" in again.content


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("broken.md", b"---\ntitle: [unclosed\n---\nbody", ""),
        ("empty.md", b"   ", ""),
        ("notes.pdf", b"%PDF-1.4", "not a readable PDF"),
        ("notes.docx", b"PK\x03\x04", "only .md"),
        ("..\\..\\.bashrc", b"# Title\n\ntext", "only .md"),
    ],
)
async def test_add_refuses_bad_files_and_changes_nothing(emu, start_bot, kb, filename, data, reason):
    before = snapshot(kb)
    upload = emu.add_attachment(filename, data, "text/markdown")
    async with start_bot():
        record = await kb_command(emu, emu.world.mod, "add", {"file": upload})
        assert "was not added" in record.content and reason in record.content
        assert record.answer is not None
    assert snapshot(kb) == before


async def test_add_refuses_files_over_the_size_limit(emu, start_bot, kb):
    before = snapshot(kb)
    upload = emu.add_attachment("big.md", b"# Big\n\n" + b"word " * 1000, "text/markdown")
    async with start_bot(max_upload_bytes=2048):
        record = await kb_command(emu, emu.world.mod, "add", {"file": upload})
        assert "the limit is 2,048" in record.content
    assert snapshot(kb) == before


async def test_add_strips_path_tricks_from_the_file_name(emu, start_bot, kb, tmp_path):
    upload = emu.add_attachment("..\\..\\..\\evil\\.Quokka.MD", QUOKKA_ARTICLE, "text/markdown")
    async with start_bot():
        record = await kb_command(emu, emu.world.mod, "add", {"file": upload})
        assert "Saved as `quokka.md`" in record.content
    assert (kb.knowledge_dir / "quokka.md").exists()
    outside = [p for p in tmp_path.rglob("*quokka*") if kb.knowledge_dir not in p.parents]
    assert outside == []


async def test_remove_offers_titles_and_moves_the_article_to_the_trash(emu, start_bot, kb):
    w = emu.world
    async with start_bot():
        typing = await emu.dispatch_autocomplete(
            w.guild, w.general, w.mod, "kb", {"article": "keras"}, "article", subcommand="remove"
        )
        await typing.wait(ANSWER_TIMEOUT)
        choices = typing.callback_data["choices"]
        keras = [c for c in choices if c["value"] == "keras.md"]
        assert keras and "Keras" in keras[0]["name"] and len(choices) < SHIPPED_ARTICLES
        record = await kb_command(emu, w.mod, "remove", {"article": "keras.md"})
        assert "Moved `keras.md` to `.trash/" in record.content and "Removed: `keras.md`" in record.content
    assert not (kb.knowledge_dir / "keras.md").exists()
    assert [p.name.endswith("keras.md") for p in (kb.knowledge_dir / ".trash").iterdir()] == [True]
    assert "keras.md" not in {a.path for a in kb.articles()}


async def test_remove_refuses_an_unknown_article(emu, start_bot, kb):
    before = snapshot(kb)
    async with start_bot():
        record = await kb_command(emu, emu.world.mod, "remove", {"article": "../settings.py"})
        assert "no article" in record.content
    assert snapshot(kb) == before


async def test_list_pages_through_the_articles_with_buttons(emu, start_bot):
    async with start_bot():
        record = await kb_command(emu, emu.world.mod, "list")
        message = message_of(emu, record)
        assert message["embeds"][0]["footer"]["text"] == "Page 1 of 2"
        next_id = message["components"][0]["components"][1]["custom_id"]
        turned = await (await emu.dispatch_component(message["id"], next_id, emu.world.mod)).wait(
            ANSWER_TIMEOUT
        )
        assert turned.callback_type == 7 and turned.answer["embeds"][0]["footer"]["text"] == "Page 2 of 2"


async def test_stats_count_questions_answers_votes_and_gaps(emu, start_bot, storage):
    storage.log_question("What is Quokka?", 1, emu.world.guild.id, 2, False, 0.1, None)
    storage.log_question("what is quokka", 3, emu.world.guild.id, 2, False, 0.1, None)
    storage.log_question("What is PyTorch?", 1, emu.world.guild.id, 2, True, 0.8, "pytorch.md")
    async with start_bot():
        record = await kb_command(emu, emu.world.mod, "stats", {"period": 7})
        fields = {f["name"]: f["value"] for f in record.answer["embeds"][0]["fields"]}
        assert fields["Asked"] == "3" and fields["Answered"] == "1 (33%)"
        assert any("2× What is Quokka?" in value for value in fields.values())


@pytest.mark.parametrize(
    ("subcommand", "options"),
    [
        ("reindex", None),
        ("add", "upload"),
        ("remove", {"article": "keras.md"}),
        ("list", None),
        ("stats", None),
    ],
)
async def test_non_moderators_are_refused_and_nothing_changes(
    emu, start_bot, kb, storage, subcommand, options
):
    (kb.knowledge_dir / "quokka.md").write_bytes(QUOKKA_ARTICLE)  # a reindex would pick this up
    if options == "upload":
        options = {"file": emu.add_attachment("new.md", QUOKKA_ARTICLE, "text/markdown")}
    before = snapshot(kb)
    async with start_bot():
        record = await kb_command(emu, emu.world.alice, subcommand, options)
        assert record.callback_type == 4 and record.callback_data["flags"] & 64
        assert "Only moderators" in record.content
    assert snapshot(kb) == before
    [entry] = storage.audit_trail()
    assert entry.action == f"kb {subcommand}" and entry.result.startswith("refused")


async def test_a_second_reindex_while_one_runs_is_refused(emu, start_bot, kb):
    started, release = threading.Event(), threading.Event()
    real_reindex = kb.reindex

    def slow_reindex(*args, **kwargs):
        started.set()
        release.wait(ANSWER_TIMEOUT)
        return real_reindex(*args, **kwargs)

    kb.reindex = slow_reindex
    w = emu.world
    async with start_bot():
        first = await emu.dispatch_slash_command(w.guild, w.general, w.mod, "kb", {}, subcommand="reindex")
        assert await asyncio.to_thread(started.wait, ANSWER_TIMEOUT)
        second = await slash(emu, w.manager, "kb", {}, subcommand="reindex")
        assert "already running" in second.content and second.callback_data["flags"] & 64
        upload = emu.add_attachment("new.md", QUOKKA_ARTICLE, "text/markdown")
        third = await slash(emu, w.mod, "kb", {"file": upload}, subcommand="add")
        assert "already running" in third.content
        release.set()
        await first.wait(ANSWER_TIMEOUT)
        assert "Reindexed" in first.content
    assert not (kb.knowledge_dir / "new.md").exists()
