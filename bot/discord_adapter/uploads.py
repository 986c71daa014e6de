"""Files moderators add to or remove from the knowledge directory: safe names, validation, atomic writes.

No discord here: the moderation cog hands in names and bytes, so this is tested with plain files.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from pathlib import Path

from bot.core.documents import parse_document
from bot.core.knowledge_files import is_article_name, is_hidden
from bot.errors import InvalidArticle, UnknownArticle, UploadRefused

ALLOWED_SUFFIXES = (".md", ".txt", ".rst", ".html")
TRASH_DIR = ".trash"  # hidden, so the loader ignores it; moderators restore files by moving them back
UNSAFE = re.compile(r"[^a-z0-9._-]+")
MAX_NAME = 100


def safe_filename(filename: str) -> str:
    """A file name that can only land directly in the knowledge directory: no folders, no hidden files,
    only [a-z0-9._-]. Raises UploadRefused when nothing usable is left or the type is not allowed."""
    base = re.split(r"[\\/]", filename)[-1].strip().lower()  # Windows separators are tricks too
    stem, dot, suffix = base.rpartition(".")
    if not dot or f".{suffix}" not in ALLOWED_SUFFIXES:
        allowed = ", ".join(ALLOWED_SUFFIXES)
        raise UploadRefused(filename, f"only {allowed} files can be added")
    stem = UNSAFE.sub("-", stem).strip(".-_")
    stem = re.sub(r"\.{2,}", ".", stem)[: MAX_NAME - len(suffix) - 1]
    if not stem:
        raise UploadRefused(filename, "the file name has no usable characters; rename it, e.g. `topic.md`")
    return f"{stem}.{suffix}"


def check_upload(filename: str, data: bytes, limit: int) -> str:
    """Validate an upload without writing anything; returns the safe name it would be saved under.

    Parsing is bounded (see front_matter) but still work in proportion to the file: call it off the
    event loop."""
    name = safe_filename(filename)
    if len(data) > limit:
        raise UploadRefused(filename, f"it is {len(data):,} bytes; the limit is {limit:,}")
    try:
        parse_document(name, data)
    except InvalidArticle as error:
        raise UploadRefused(filename, error.reason) from None
    return name


def prepare_upload(
    knowledge_dir: Path, filename: str, data: bytes, limit: int, replace: bool
) -> tuple[str, bytes | None]:
    """Check an upload and what it would overwrite, writing nothing: (safe name, the bytes of the
    article it replaces or None when it is new)."""
    name = check_upload(filename, data, limit)
    return name, existing_article(knowledge_dir / name, filename, replace)


def existing_article(target: Path, filename: str, replace: bool) -> bytes | None:
    """The bytes of the regular file at `target`, None when nothing is there. Anything else under that
    name (a link, even a dangling one, or a folder) is refused: an upload never writes through a link or
    hides one, and the article can only be put back later if it was a plain file."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise UploadRefused(filename, f"`{target.name}` exists as a link; remove it first with `/kb remove`")
    if not stat.S_ISREG(info.st_mode):
        raise UploadRefused(
            filename, f"`{target.name}` exists and is not a file (a folder?); rename that first"
        )
    if not replace:
        raise UploadRefused(
            filename, f"`{target.name}` already exists; add it with `replace: True` to overwrite"
        )
    fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW)  # swapped for a link meanwhile: refused, not read
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def write_atomically(target: Path, data: bytes) -> None:
    """Readers (a reindex) see the old file or the new one, never half of one."""
    # The temporary name is hidden so a reindex running meanwhile ignores it.
    fd, temporary = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def trashable(knowledge_dir: Path, relative: str) -> bool:
    """Whether `relative` names an article file or a link with an article's name inside the knowledge
    folder (links and broken files are skipped by indexing, so they are not in the article list, but
    moderators must be able to remove them). A link itself is moved, never what it points at."""
    parts = relative.split("/")
    if any(part in ("", ".", "..") or is_hidden(part) for part in parts) or not is_article_name(relative):
        return False
    root = knowledge_dir.resolve()
    parent = (knowledge_dir / relative).parent.resolve()
    if parent != root and root not in parent.parents:
        return False
    try:
        mode = os.lstat(knowledge_dir / relative).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) or stat.S_ISLNK(mode)


def move_to_trash(knowledge_dir: Path, relative: str) -> Path:
    """Move an article into `.trash/` (timestamped, so removing twice never overwrites); returns its new path."""
    if not trashable(knowledge_dir, relative):
        raise UnknownArticle(relative)
    source = knowledge_dir / relative
    trash = knowledge_dir / TRASH_DIR
    trash.mkdir(exist_ok=True)
    target = trash / f"{time.strftime('%Y%m%d-%H%M%S')}-{relative.replace('/', '__')}"
    os.replace(source, target)
    return target


def restore_from_trash(trashed: Path, knowledge_dir: Path, relative: str) -> None:
    os.replace(trashed, knowledge_dir / relative)
