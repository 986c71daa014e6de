"""Files moderators add to or remove from the knowledge directory: safe names, validation, atomic writes.

No discord here: the moderation cog hands in names and bytes, so this is tested with plain files.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path

from bot.core.documents import parse_document
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
    """Validate an upload without writing anything; returns the safe name it would be saved under."""
    name = safe_filename(filename)
    if len(data) > limit:
        raise UploadRefused(filename, f"it is {len(data):,} bytes; the limit is {limit:,}")
    try:
        parse_document(name, data)
    except InvalidArticle as error:
        raise UploadRefused(filename, error.reason) from None
    return name


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


def move_to_trash(knowledge_dir: Path, relative: str) -> Path:
    """Move an article into `.trash/` (timestamped, so removing twice never overwrites); returns its new path."""
    source = (knowledge_dir / relative).resolve()
    if knowledge_dir.resolve() not in source.parents or not source.is_file():
        raise UnknownArticle(relative)
    trash = knowledge_dir / TRASH_DIR
    trash.mkdir(exist_ok=True)
    target = trash / f"{time.strftime('%Y%m%d-%H%M%S')}-{relative.replace('/', '__')}"
    os.replace(source, target)
    return target


def restore_from_trash(trashed: Path, knowledge_dir: Path, relative: str) -> None:
    os.replace(trashed, knowledge_dir / relative)
