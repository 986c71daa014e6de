"""Changes to the knowledge base: add, replace or remove an article, then reindex, or put it back.

The one implementation behind `/kb add|remove` in Discord and `qabot kb add|remove` on the command line;
the adapters hand in a file name and bytes (or an article's path) and only turn the result into words.
An upload is untrusted: its name is made safe, its size bounded and its content parsed (bounded YAML) before
anything is written. Links are never written through, read or followed; removing one moves the link itself.
A removed article goes to `.trash/`, so it can be restored by hand. When the reindex after a change fails,
the knowledge folder is put back the way it was and the error is raised again.
"""

from __future__ import annotations

import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from bot.core.documents import parse_document
from bot.core.files import write_atomically
from bot.core.indexer import BuildReport
from bot.core.knowledge_files import is_article_name, is_hidden
from bot.core.quota import Quota, check_fits, folder_usage
from bot.core.service import KnowledgeBase
from bot.errors import InvalidArticle, UnknownArticle, UploadRefused

ALLOWED_SUFFIXES = (".md", ".mdx", ".txt", ".rst", ".html", ".ipynb", ".pdf")
TRASH_DIR = ".trash"  # hidden, so the loader ignores it; moderators restore files by moving them back
UNSAFE = re.compile(r"[^a-z0-9._-]+")
MAX_NAME = 100


@dataclass(frozen=True)
class ArticleChange:
    """What a change did: the article's path in the knowledge folder and the reindex that followed."""

    path: str
    report: BuildReport
    replaced: bool = False  # an add that overwrote an article of the same name
    trashed: Path | None = None  # where a removed article now is


def add_article(
    kb: KnowledgeBase,
    filename: str,
    data: bytes,
    *,
    limit: int,
    replace: bool,
    quota: Quota | None = None,
) -> ArticleChange:
    """Check and save an article under a safe name, then reindex; on a failed reindex the folder is put
    back (the new file removed, a replaced one restored). With a `quota` (a server's collection), an
    article that would pass it is refused before anything is written. Parses the file: call it off an
    event loop."""
    name, old = prepare_upload(kb.knowledge_dir, filename, data, limit, replace)
    if quota is not None:
        before = folder_usage(kb.knowledge_dir)
        check_fits(quota, before, before.grown(None if old is None else len(old), len(data)))
    target = kb.knowledge_dir / name
    write_atomically(target, data)
    try:
        report = kb.reindex()
    except BaseException:  # KeyboardInterrupt too: never leave an article the index doesn't know about
        _put_back(target, old)
        raise
    return ArticleChange(name, report, replaced=old is not None)


def remove_article(kb: KnowledgeBase, relative: str) -> ArticleChange:
    """Move an article (or a skipped file or link with an article's name) to the trash, then reindex; on
    a failed reindex it is moved back."""
    trashed = move_to_trash(kb.knowledge_dir, relative)
    try:
        report = kb.reindex()
    except BaseException:
        restore_from_trash(trashed, kb.knowledge_dir, relative)
        raise
    return ArticleChange(relative, report, trashed=trashed)


def _put_back(target: Path, old: bytes | None) -> None:
    if old is None:
        target.unlink(missing_ok=True)
    else:
        write_atomically(target, old)


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
        raise UploadRefused(filename, f"`{target.name}` exists as a link; remove it first")
    if not stat.S_ISREG(info.st_mode):
        raise UploadRefused(
            filename, f"`{target.name}` exists and is not a file (a folder?); rename that first"
        )
    if not replace:
        raise UploadRefused(
            filename, f"`{target.name}` already exists; add it again with replace to overwrite it"
        )
    fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW)  # swapped for a link meanwhile: refused, not read
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def trashable(knowledge_dir: Path, relative: str) -> bool:
    """Whether `relative` names an article file or a link with an article's name inside the knowledge
    folder (links and broken files are skipped by indexing, so they are not in the article list, but
    moderators must be able to remove them). A link itself is moved, never what it points at."""
    parts = relative.split("/")
    if any(part in ("", ".", "..") or is_hidden(part) for part in parts) or not is_article_name(relative):
        return False
    if "\x00" in relative:  # no file name holds one, and the OS calls raise ValueError on it
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
