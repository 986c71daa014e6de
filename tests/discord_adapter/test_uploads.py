"""Uploaded file handling: safe names, validation, atomic writes, the trash."""

from __future__ import annotations

import pytest

from bot.discord_adapter import uploads
from bot.errors import UnknownArticle, UploadRefused

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
    assert uploads.safe_filename(given) == saved


@pytest.mark.parametrize("given", ["evil.py", "noext", "../.md", "....md", "x.pdf", "archive.md.zip"])
def test_unsafe_or_unsupported_names_are_refused(given):
    with pytest.raises(UploadRefused):
        uploads.safe_filename(given)


def test_check_upload_validates_size_and_content():
    assert uploads.check_upload("Quokka.md", GOOD, 10_000) == "quokka.md"
    with pytest.raises(UploadRefused, match="limit"):
        uploads.check_upload("quokka.md", GOOD, 10)
    with pytest.raises(UploadRefused) as refused:
        uploads.check_upload("broken.md", b"---\ntitle: [unclosed\n---\nbody", 10_000)
    assert refused.value.reason


def test_write_atomically_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "a.md"
    uploads.write_atomically(target, b"one")
    uploads.write_atomically(target, b"two")
    assert target.read_bytes() == b"two" and [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_move_to_trash_and_restore(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_bytes(GOOD)
    trashed = uploads.move_to_trash(tmp_path, "sub/a.md")
    assert trashed.parent == tmp_path / ".trash" and trashed.name.endswith("sub__a.md")
    assert not (tmp_path / "sub" / "a.md").exists()
    uploads.restore_from_trash(trashed, tmp_path, "sub/a.md")
    assert (tmp_path / "sub" / "a.md").read_bytes() == GOOD
    with pytest.raises(UnknownArticle):
        uploads.move_to_trash(tmp_path, "../outside.md")
