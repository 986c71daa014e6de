"""Hostile and broken knowledge folders: nothing outside the folder is read, nothing hangs, every bad
entry is reported with its reason and the rest is indexed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bot.core.documents import load_documents, parse_document
from bot.core.indexer import build_index
from bot.errors import InvalidArticle
from tests.hostile import ALIAS_BOMB

GOOD = "---\ntitle: Good\n---\n\n## Section\n\nJAX is a library for array computing.\n"
SECRET = "DISCORD_TOKEN=abc.secret-token-value\n"


def knowledge(tmp_path: Path) -> Path:
    """A knowledge folder with one good article, beside a secret `.env` as in a real checkout."""
    (tmp_path / ".env").write_text(SECRET)
    root = tmp_path / "knowledge"
    root.mkdir()
    (root / "good.md").write_text(GOOD)
    return root


def reasons(result) -> dict[str, str]:
    return {s.path: s.reason for s in result.skipped}


def test_a_link_to_a_file_outside_is_skipped_with_its_reason_never_read(tmp_path):
    root = knowledge(tmp_path)
    (root / "config.md").symlink_to("../.env")
    (root / "passwd.md").symlink_to("/etc/passwd")
    result = load_documents(root)
    assert [d.path for d in result.documents] == ["good.md"]
    assert "outside the knowledge folder" in reasons(result)["config.md"]
    assert "outside the knowledge folder" in reasons(result)["passwd.md"]
    assert all("secret-token" not in d.body for d in result.documents)


def test_a_linked_folder_pointing_outside_is_skipped_and_reported(tmp_path):
    root = knowledge(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "leak.md").write_text(SECRET)
    (root / "linked").symlink_to(outside, target_is_directory=True)
    result = load_documents(root)
    assert [d.path for d in result.documents] == ["good.md"]
    assert "outside the knowledge folder" in reasons(result)["linked"]


def test_links_inside_the_folder_are_not_followed_either(tmp_path):
    root = knowledge(tmp_path)
    (root / "alias.md").symlink_to("good.md")
    (root / "loop").symlink_to(".", target_is_directory=True)  # a cycle, were links followed
    (root / "gone.md").symlink_to("missing.md")  # dangling
    result = load_documents(root)
    assert [d.path for d in result.documents] == ["good.md"]
    assert set(reasons(result)) == {"alias.md", "loop", "gone.md"}
    assert "not followed" in reasons(result)["alias.md"]


def test_a_fifo_named_like_an_article_is_skipped_without_blocking(tmp_path):
    root = knowledge(tmp_path)
    os.mkfifo(root / "pipe.md")
    started = time.monotonic()
    result = load_documents(root)
    assert time.monotonic() - started < 5
    assert reasons(result) == {"pipe.md": "not a regular file"}


def test_a_folder_named_like_an_article_is_a_folder(tmp_path):
    root = knowledge(tmp_path)
    (root / "x.md").mkdir()
    (root / "x.md" / "inner.md").write_text(GOOD)
    result = load_documents(root)
    assert [d.path for d in result.documents] == ["good.md", "x.md/inner.md"] and result.skipped == ()


def test_an_unreadable_folder_is_reported_not_skipped_silently(tmp_path, monkeypatch):
    root = knowledge(tmp_path)
    (root / "private").mkdir()
    (root / "private" / "hidden.md").write_text(GOOD)
    real_open = os.open

    # Root reads any folder whatever its mode, so the refusal is injected at the OS call.
    def refusing_open(path, flags, *args, **kwargs):
        if path == "private":
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    result = load_documents(root)
    assert [d.path for d in result.documents] == ["good.md"]
    assert reasons(result) == {"private/": "can't read folder: Permission denied"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_a_folder_without_permissions_is_reported(tmp_path):
    root = knowledge(tmp_path)
    (root / "private").mkdir(mode=0)
    try:
        assert "private/" in reasons(load_documents(root))
    finally:
        (root / "private").chmod(0o700)


def test_an_article_over_the_size_limit_is_skipped_before_reading(tmp_path):
    root = knowledge(tmp_path)
    with (root / "huge.md").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB that cost nothing to write
    result = load_documents(root, max_bytes=2_000_000)
    assert [d.path for d in result.documents] == ["good.md"]
    assert reasons(result)["huge.md"] == (
        "too big: 52,428,800 bytes; the limit is 2,000,000 (QABOT_MAX_ARTICLE_BYTES)"
    )


def test_an_alias_bomb_is_refused_fast_by_the_parser(tmp_path):
    assert len(ALIAS_BOMB.encode()) < 600
    started = time.monotonic()
    with pytest.raises(InvalidArticle, match="aliases"):
        parse_document("bomb.md", ALIAS_BOMB.encode())
    assert time.monotonic() - started < 0.5


def test_an_alias_bomb_is_skipped_fast_and_the_rest_indexed(tmp_path, fake_embedder):
    root = knowledge(tmp_path)
    (root / "bomb.md").write_text(ALIAS_BOMB)
    started = time.monotonic()
    report = build_index(root, tmp_path / "index", fake_embedder)
    assert time.monotonic() - started < 5
    assert report.articles == 1 and "aliases" in reasons(report)["bomb.md"]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("a:" + " [" * 100 + " ]" * 100, "nested more than"),
        ("updated: 2026-13-45", "unreadable value"),
        ("tags: 5\ntitle: Five", None),
        ("title: x\n" + "k: v\n" * 20_000, "the limit is"),
    ],
)
def test_odd_front_matter_is_refused_with_a_reason_or_read(header, reason):
    raw = f"---\n{header}\n---\n\nBody text.\n".encode()
    if reason is None:
        assert parse_document("odd.md", raw).tags == ("5",)
        return
    with pytest.raises(InvalidArticle, match=reason):
        parse_document("odd.md", raw)


def test_an_article_starting_with_json_like_braces_is_text_not_a_crash():
    doc = parse_document("braces.md", b"{\nnot json at all\n}\n\nBody text.\n")
    assert "not json" in doc.body


def test_a_build_shows_chunking_progress_before_any_embedding(tmp_path, fake_embedder):
    root = knowledge(tmp_path)
    for number in range(3):
        (root / f"more-{number}.md").write_text(GOOD.replace("Good", f"More {number}"))
    calls: list[tuple[int, int, str]] = []
    build_index(root, tmp_path / "index", fake_embedder, progress=lambda *call: calls.append(call))
    stages = [stage for _, _, stage in calls]
    assert calls[0] == (0, 4, "chunking") and (4, 4, "chunking") in calls
    assert stages.index("embedding") > stages.index("chunking") and stages[-1] == "embedding"
