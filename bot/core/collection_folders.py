"""A server collection's folders on disk: where they are, what they hold, deleting them.

Kept apart from collections.py (loading, asking, changing) so the CLI can list and delete collections
without a loaded model.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.core.indexer import build_lock
from bot.core.knowledge_files import is_article_name, is_hidden
from bot.core.store import CURRENT_FILE, current_generation, read_manifest
from bot.errors import CollectionLinked, IndexError_

KNOWLEDGE_FOLDER = "knowledge"
INDEX_FOLDER = "index"


MAX_GUILD_ID = 2**63 - 1  # Discord ids are 64-bit snowflakes, and SQLite integers are signed 64-bit


def collection_folder(root: Path, guild_id: int) -> Path:
    """A server's collection folder under `root`, named by the id's digits: int() so the id can never be
    a path, and positive so it is a name `describe_collections` lists (`-5` would be a hidden orphan)."""
    number = int(guild_id)
    if isinstance(guild_id, bool) or not 0 < number <= MAX_GUILD_ID:
        raise ValueError(f"not a Discord server id: {guild_id!r}")
    return root / str(number)


def collection_dirs(root: Path, guild_id: int) -> tuple[Path, Path]:
    """(knowledge folder, index folder) of a server's collection under `root`. CollectionLinked when
    the collection's folder or either of these is a symbolic link: qabot makes them as real folders, so
    a link was planted, to be followed nowhere (its target is never read, indexed or deleted)."""
    folder = collection_folder(root, guild_id)
    knowledge, index = folder / KNOWLEDGE_FOLDER, folder / INDEX_FOLDER
    for part, path in (("folder", folder), ("knowledge folder", knowledge), ("index folder", index)):
        if path.is_symlink():
            raise CollectionLinked(guild_id, part)
    return knowledge, index


@dataclass(frozen=True)
class CollectionInfo:
    """A server's collection on disk, for `qabot collections`."""

    guild_id: int
    articles: int
    passages: int
    disk_bytes: int
    loaded: bool


def delete_collection(root: Path, guild_id: int) -> bool:
    """Delete a server's collection under `root`, articles and all (its index first, CURRENT first, so
    another process's reader sees no collection rather than half of one); False when it had none."""
    folder = collection_folder(root, guild_id)
    if folder.is_symlink():  # planted: the link goes, never anything it points at
        folder.unlink()
        return True
    if not folder.exists():
        return False
    index_dir = folder / INDEX_FOLDER
    if index_dir.is_dir() and not index_dir.is_symlink():  # a linked index: its target's CURRENT stays
        with build_lock(index_dir), contextlib.suppress(FileNotFoundError, IsADirectoryError):
            (index_dir / CURRENT_FILE).unlink()  # a damaged index's CURRENT folder goes with the rest
    shutil.rmtree(folder)  # removes links inside, never follows them
    return True


def drop_index(root: Path, guild_id: int) -> None:
    """Remove a server collection's index (CURRENT first, so no reader picks up a half-deleted one); its
    articles stay. The server then answers from the base alone."""
    _, index_dir = collection_dirs(root, guild_id)
    with build_lock(index_dir):
        (index_dir / CURRENT_FILE).unlink(missing_ok=True)
    shutil.rmtree(index_dir, ignore_errors=True)


def holds_article(knowledge_dir: Path, besides: str = "") -> bool:
    """Whether the knowledge folder holds an article other than `besides` (hidden folders, like the
    trash, don't count)."""
    if not knowledge_dir.is_dir():
        return False
    for path in knowledge_dir.rglob("*"):
        inside = path.relative_to(knowledge_dir)
        if any(is_hidden(part) for part in inside.parts):
            continue
        if inside.as_posix() != besides and is_article_name(path.name) and path.is_file():
            return True
    return False


def describe_collections(root: Path, loaded: set[int] | None = None) -> list[CollectionInfo]:
    """Every server collection under `root`, by server id, with its size."""
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir(), key=lambda p: p.name):
        # Only the folders qabot makes: an id's own digits (not `0123`), real folders (not links).
        name = folder.name
        if name.isdigit() and name == str(int(name)) != "0" and folder.is_dir() and not folder.is_symlink():
            found.append(_describe(int(name), folder, folder / INDEX_FOLDER, loaded or set()))
    return found


def _describe(guild_id: int, folder: Path, index_dir: Path, loaded: set[int]) -> CollectionInfo:
    articles = passages = 0
    try:
        name = None if index_dir.is_symlink() else current_generation(index_dir)
        if name is not None:
            manifest = read_manifest(index_dir / name)
            articles, passages = len(manifest.articles), manifest.passage_count
    except IndexError_:
        pass  # a damaged index still has a size, and `qabot index --collection` repairs it
    return CollectionInfo(guild_id, articles, passages, _folder_bytes(folder), guild_id in loaded)


def _folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:
            continue
    return total
