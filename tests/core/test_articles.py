"""Article files: safe names, validation, atomic writes, the trash, links never followed."""

from __future__ import annotations

import time

import pytest

from bot.core import articles
from bot.errors import UnknownArticle, UploadRefused
from tests.hostile import ALIAS_BOMB

GOOD = b"---\ntitle: Quokka\n---\n\n## Install\n\nQuokka is installed with pip.\n"


@pytest.mark.parametrize(
    ("given", "saved"),
    [
        ("notes.md", "notes.md"),
        ("My Notes (v2).MD", "my-notes-v2-.md".replace("-.md", ".md")),
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\windows\\x.txt", "x.txt"),
        (".hidden.md", "hidden.md"),
        ("a..b.rst", "a.b.rst"),
        ("Ünïcode ñame.html", "n-code-ame.html"),
    ],
)
def test_safe_filename(given, saved):
    assert articles.safe_filename(given) == saved


@pytest.mark.parametrize("given", ["evil.py", "noext", "../.md", "....md", "x.docx", "archive.md.zip"])
def test_unsafe_or_unsupported_names_are_refused(given):
    with pytest.raises(UploadRefused):
        articles.safe_filename(given)


def test_check_upload_validates_size_and_content():
    assert articles.check_upload("Quokka.md", GOOD, 10_000) == "quokka.md"
    with pytest.raises(UploadRefused, match="limit"):
        articles.check_upload("quokka.md", GOOD, 10)
    with pytest.raises(UploadRefused) as refused:
        articles.check_upload("broken.md", b"---\ntitle: [unclosed\n---\nbody", 10_000)
    assert refused.value.reason


def test_write_atomically_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "a.md"
    from bot.core.files import write_atomically

    write_atomically(target, b"one")  # what articles.py writes with
    write_atomically(target, b"two")
    assert target.read_bytes() == b"two" and [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_move_to_trash_and_restore(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_bytes(GOOD)
    trashed = articles.move_to_trash(tmp_path, "sub/a.md")
    assert trashed.parent == tmp_path / ".trash" and trashed.name.endswith("sub__a.md")
    assert not (tmp_path / "sub" / "a.md").exists()
    articles.restore_from_trash(trashed, tmp_path, "sub/a.md")
    assert (tmp_path / "sub" / "a.md").read_bytes() == GOOD
    with pytest.raises(UnknownArticle):
        articles.move_to_trash(tmp_path, "../outside.md")


def test_an_alias_bomb_upload_is_refused_fast():
    started = time.monotonic()
    with pytest.raises(UploadRefused, match="aliases"):
        articles.check_upload("bomb.md", ALIAS_BOMB.encode(), 512_000)
    assert time.monotonic() - started < 0.5


def test_a_new_name_replaces_nothing_and_an_existing_file_needs_replace(tmp_path):
    assert articles.prepare_upload(tmp_path, "Quokka.md", GOOD, 10_000, replace=False) == ("quokka.md", None)
    (tmp_path / "quokka.md").write_bytes(b"old")
    with pytest.raises(UploadRefused, match="already exists"):
        articles.prepare_upload(tmp_path, "quokka.md", GOOD, 10_000, replace=False)
    assert articles.prepare_upload(tmp_path, "quokka.md", GOOD, 10_000, replace=True) == ("quokka.md", b"old")


@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("link_to", ["../outside.md", "missing.md"])
def test_an_upload_never_overwrites_or_reads_through_a_link(tmp_path, link_to, replace):
    (tmp_path / "outside.md").write_bytes(b"secret outside the folder")
    root = tmp_path / "kb"
    root.mkdir()
    (root / "quokka.md").symlink_to(link_to)  # the second is dangling: it must still count as taken
    with pytest.raises(UploadRefused, match="exists as a link"):
        articles.prepare_upload(root, "quokka.md", GOOD, 10_000, replace=replace)


def test_an_upload_named_like_a_folder_is_refused_not_a_traceback(tmp_path):
    (tmp_path / "quokka.md").mkdir()
    with pytest.raises(UploadRefused, match="not a file"):
        articles.prepare_upload(tmp_path, "quokka.md", GOOD, 10_000, replace=True)


def test_removing_a_link_moves_the_link_and_leaves_its_target(tmp_path):
    secret = tmp_path / ".env"
    secret.write_text("DISCORD_TOKEN=x")
    root = tmp_path / "kb"
    root.mkdir()
    (root / "good.md").write_bytes(GOOD)
    (root / "config.md").symlink_to("../.env")
    (root / "alias.md").symlink_to("good.md")
    for name in ("config.md", "alias.md"):
        trashed = articles.move_to_trash(root, name)
        assert trashed.is_symlink() and not (root / name).is_symlink()
    assert secret.read_text() == "DISCORD_TOKEN=x" and (root / "good.md").read_bytes() == GOOD


@pytest.mark.parametrize(
    "name", ["", ".", "sub", ".trash/x.md", "sub/../good.md", "linked/a.md", "image.png"]
)
def test_only_article_files_and_links_inside_the_folder_can_be_removed(tmp_path, name):
    root = tmp_path / "kb"
    (root / "sub").mkdir(parents=True)
    (root / "good.md").write_bytes(GOOD)
    (root / "image.png").write_bytes(b"png")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.md").write_bytes(GOOD)
    (root / "linked").symlink_to(tmp_path / "out", target_is_directory=True)
    with pytest.raises(UnknownArticle):
        articles.move_to_trash(root, name)
    assert (tmp_path / "out" / "a.md").exists() and (root / "image.png").exists()
