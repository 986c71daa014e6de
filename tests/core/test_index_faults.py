"""Broken index files and a failing disk, with real FAISS, real files and a fake embedder: each is refused
with a typed error that names the fix, and the generation being served is never lost."""

import errno
import json
from pathlib import Path

import numpy as np
import pytest

from bot.core.indexer import build_index
from bot.core.store import CURRENT_FILE, MANIFEST_FILE, current_generation, load_index, writer
from bot.errors import IndexCorrupt, IndexDirUnusable, IndexWriteFailed
from tests.core.test_store import current_dir, make_kb


@pytest.fixture
def built(tmp_path, fake_embedder) -> Path:
    index_dir = tmp_path / "index"
    build_index(make_kb(tmp_path), index_dir, fake_embedder)
    return index_dir


def edit_manifest(index_dir: Path, **changes) -> None:
    path = current_dir(index_dir) / MANIFEST_FILE
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def manifest_field(index_dir: Path, name: str):
    return json.loads((current_dir(index_dir) / MANIFEST_FILE).read_text())[name]


@pytest.mark.parametrize("field", ["passage_count", "view_count", "sentence_count"])
@pytest.mark.parametrize("change", [-1, 1])
def test_a_manifest_count_that_disagrees_with_the_data_is_refused_at_load(built, field, change):
    edit_manifest(built, **{field: manifest_field(built, field) + change})
    with pytest.raises(
        IndexCorrupt, match="(does not match its data|FAISS index does not match).*qabot index --full"
    ):
        load_index(built)


def test_article_passage_counts_must_add_up_to_the_passages(built):
    articles = manifest_field(built, "articles")
    first = next(iter(articles))
    articles[first]["passages"] += 1
    edit_manifest(built, articles=articles)
    with pytest.raises(IndexCorrupt, match="passage total"):
        load_index(built)


@pytest.mark.parametrize(
    "changes",
    [{"files": None}, {"articles": None}, {"passage_count": "7"}, {"passage_count": -3}, {"dimension": True}],
)
def test_a_manifest_field_of_the_wrong_type_is_refused_with_the_fix(built, changes):
    edit_manifest(built, **changes)
    with pytest.raises(IndexCorrupt, match=f'"{next(iter(changes))}".*qabot index --full'):
        load_index(built)


def test_a_lowered_passage_count_no_longer_breaks_a_later_search(built, fake_embedder):
    """Before the check, the index loaded and a later question failed with IndexError."""
    edit_manifest(built, passage_count=manifest_field(built, "passage_count") - 1)
    with pytest.raises(IndexCorrupt):
        load_index(built)
    build_index(make_kb(built.parent), built, fake_embedder, full=True)
    assert len(load_index(built)) == manifest_field(built, "passage_count")


@pytest.mark.parametrize("content", [b"\xff\xfe\x00\x01binary", b"../../etc", b"gen-1/../../x", b"\x00" * 16])
def test_a_current_file_that_names_no_generation_is_refused_and_the_next_build_repairs_it(
    built, fake_embedder, content
):
    (built / CURRENT_FILE).write_bytes(content)
    with pytest.raises(IndexCorrupt, match="CURRENT does not hold a generation name.*qabot index --full"):
        load_index(built)
    build_index(make_kb(built.parent), built, fake_embedder, full=True)
    assert len(load_index(built)) > 0


def test_a_folder_named_current_is_refused_before_any_work_and_says_to_remove_it(built, fake_embedder):
    served = current_generation(built)
    (built / CURRENT_FILE).unlink()
    (built / CURRENT_FILE).mkdir()
    with pytest.raises(IndexCorrupt, match="is a folder.*remove it"):
        load_index(built)
    with pytest.raises(IndexCorrupt, match="is a folder.*remove it"):
        build_index(make_kb(built.parent), built, fake_embedder)
    assert (built / served).is_dir()


def test_an_index_directory_under_a_regular_file_is_refused_for_reading_and_building(tmp_path, fake_embedder):
    (tmp_path / "plain-file").write_text("not a folder")
    inside = tmp_path / "plain-file" / "index"
    with pytest.raises(IndexDirUnusable, match="a part of that path is a file.*--index"):
        current_generation(inside)
    with pytest.raises(IndexDirUnusable, match="--index or QABOT_INDEX_DIR"):
        build_index(make_kb(tmp_path), inside, fake_embedder)


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["np.save", "faiss", "passages", "CURRENT"])
def test_a_full_disk_during_a_build_leaves_the_served_generation_and_no_debris(
    built, fake_embedder, monkeypatch, where
):
    served = current_generation(built)
    knowledge = built.parent / "knowledge"
    (knowledge / "new.md").write_text("---\ntitle: New\n---\nA new article about ONNX export.")
    if where == "np.save":
        monkeypatch.setattr(np, "save", _disk_full)
    elif where == "faiss":

        def faiss_full(*args):
            raise RuntimeError("Error in faiss::FileIOWriter: write failed (No space left on device)")

        monkeypatch.setattr(writer.faiss, "write_index", faiss_full)
    elif where == "passages":
        monkeypatch.setattr(writer, "write_passages", _disk_full)
    else:
        monkeypatch.setattr(writer, "write_atomically", _disk_full)
    with pytest.raises(IndexWriteFailed, match="previous index is still served"):
        build_index(knowledge, built, fake_embedder)
    monkeypatch.undo()
    assert current_generation(built) == served
    assert [p.name for p in built.iterdir() if p.name.startswith((".tmp-", "gen-"))] == [served]
    assert len(load_index(built)) > 0


def test_disk_full_is_said_in_plain_words(built, fake_embedder, monkeypatch):
    monkeypatch.setattr(np, "save", _disk_full)
    with pytest.raises(IndexWriteFailed, match=r"\(the disk is full\)"):
        build_index(built.parent / "knowledge", built, fake_embedder, full=True)


def test_a_build_killed_before_current_moved_never_costs_the_served_generation(built, fake_embedder):
    """A generation renamed into place whose build died before CURRENT moved is an orphan, newer than
    CURRENT. The next build must keep the generation that was current (readers may hold it) and may
    drop the orphan."""
    knowledge = built.parent / "knowledge"
    (knowledge / "n.md").write_text("---\ntitle: N\n---\nversion one")
    build_index(knowledge, built, fake_embedder)
    served = current_generation(built)
    (knowledge / "n.md").write_text("---\ntitle: N\n---\nversion two")
    build_index(knowledge, built, fake_embedder)
    orphan = current_generation(built)
    (built / CURRENT_FILE).write_text(served + "\n")  # as if killed just before CURRENT moved

    (knowledge / "n.md").write_text("---\ntitle: N\n---\nversion three")
    build_index(knowledge, built, fake_embedder)
    kept = {p.name for p in built.glob("gen-*")}
    assert kept == {served, current_generation(built)} and orphan not in kept
