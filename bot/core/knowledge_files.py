"""The knowledge folder's article files, read without ever leaving the folder.

Every folder is opened relative to its parent's descriptor with O_NOFOLLOW, and every file likewise, so a
symbolic link (`config.md -> ../.env`, a linked folder -> /etc) is never followed, even one swapped in
between listing and reading. Links that point inside the folder are not followed either: the file they
point at is indexed under its own name already, and following links invites cycles. Each link, unreadable
folder, oversized file or special file (a FIFO would block a plain read forever) is reported as skipped,
with its reason; nothing here raises for one bad entry.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES = (".md", ".markdown", ".mdx", ".txt", ".rst", ".html", ".htm", ".ipynb", ".pdf")
# Real knowledge bases are a few folders deep; a bound keeps descriptors and recursion in check.
MAX_FOLDER_DEPTH = 32
DEFAULT_MAX_ARTICLE_BYTES = 2_000_000
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
# O_NONBLOCK: opening a FIFO must not wait for a writer; it is then refused as not a regular file.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True)
class KnowledgeFile:
    """One article file's bytes; `path` is relative to the knowledge folder, in POSIX form."""

    path: str
    data: bytes


def is_hidden(name: str) -> bool:
    """Names starting with `.` or `_` are not articles (the trash, editor swap files, drafts)."""
    return name.startswith((".", "_"))


def is_article_name(name: str) -> bool:
    return Path(name).suffix.lower() in SUPPORTED_SUFFIXES


def read_knowledge_files(root: Path, max_bytes: int) -> Iterator[KnowledgeFile | SkippedFile]:
    """Every article file under `root` (sorted by path, hidden names left out) or the reason it was
    skipped. `root` itself may be a link (an operator's choice); nothing below it is followed."""
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield from _walk(root, root_fd, (), max_bytes)
    finally:
        os.close(root_fd)


def _walk(
    root: Path, dir_fd: int, parts: tuple[str, ...], max_bytes: int
) -> Iterator[KnowledgeFile | SkippedFile]:
    # Sorted by name and descended in place, this yields paths in the order sorted(Path) gives.
    with os.scandir(dir_fd) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        if is_hidden(entry.name):
            continue
        relative = "/".join((*parts, entry.name))
        if not _utf8(entry.name):
            if entry.is_dir(follow_symlinks=False) or is_article_name(entry.name):
                yield SkippedFile(_printable(relative), "the name is not valid UTF-8; rename it")
        elif entry.is_symlink():
            target = Path(os.path.realpath(root / relative))
            if is_article_name(entry.name) or target.is_dir():
                yield SkippedFile(relative, _link_reason(root, target))
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk_folder(root, dir_fd, (*parts, entry.name), max_bytes)
        elif is_article_name(entry.name):
            yield _read_file(dir_fd, entry.name, relative, max_bytes)


def _walk_folder(
    root: Path, parent_fd: int, parts: tuple[str, ...], max_bytes: int
) -> Iterator[KnowledgeFile | SkippedFile]:
    relative = "/".join(parts) + "/"
    if len(parts) > MAX_FOLDER_DEPTH:
        yield SkippedFile(relative, f"folder nested more than {MAX_FOLDER_DEPTH} levels deep")
        return
    try:
        fd = os.open(parts[-1], _DIR_FLAGS, dir_fd=parent_fd)
    except OSError as error:
        yield SkippedFile(relative, f"can't read folder: {error.strerror or error}")
        return
    try:
        yield from _walk(root, fd, parts, max_bytes)
    except OSError as error:  # listing failed (a folder that can be opened but not read)
        yield SkippedFile(relative, f"can't read folder: {error.strerror or error}")
    finally:
        os.close(fd)


def _read_file(dir_fd: int, name: str, relative: str, max_bytes: int) -> KnowledgeFile | SkippedFile:
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as error:
        return SkippedFile(relative, f"can't read file: {error.strerror or error}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return SkippedFile(relative, "not a regular file")
        if info.st_size > max_bytes:
            return SkippedFile(
                relative,
                f"too big: {info.st_size:,} bytes; the limit is {max_bytes:,} (QABOT_MAX_ARTICLE_BYTES)",
            )
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since fstat
        if len(data) > max_bytes:
            return SkippedFile(relative, f"too big: more than {max_bytes:,} bytes (QABOT_MAX_ARTICLE_BYTES)")
        return KnowledgeFile(relative, data)
    except OSError as error:
        return SkippedFile(relative, f"can't read file: {error.strerror or error}")
    finally:
        os.close(fd)


def _link_reason(root: Path, target: Path) -> str:
    base = Path(os.path.realpath(root))
    if target != base and base not in target.parents:
        return "symbolic link to outside the knowledge folder; not read"
    if target.is_dir():
        return "symbolic link to a folder; links are not followed"
    return "symbolic link; links are not followed (put the file itself here)"


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the name arrive as lone surrogates
        return False
    return True


def _printable(name: str) -> str:
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
