"""A server collection's folders on disk: where they are, what they hold, deleting them.

Kept apart from collections.py (loading, asking, changing) so the CLI can list and delete collections
without a loaded model.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.core.indexer import build_lock
from bot.core.knowledge_files import is_article_name, is_hidden
from bot.core.store import CURRENT_FILE, current_generation, read_manifest
from bot.errors import IndexError_

KNOWLEDGE_FOLDER = "knowledge"
INDEX_FOLDER = "index"


def collection_folder(root: Path, guild_id: int) -> Path:
    """A server's collection folder under `root`; int() so the id can never be a path."""
    return root / str(int(guild_id))


def collection_dirs(root: Path, guild_id: int) -> tuple[Path, Path]:
    """(knowledge folder, index folder) of a server's collection under `root`."""
    folder = collection_folder(root, guild_id)
    return folder / KNOWLEDGE_FOLDER, folder / INDEX_FOLDER


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
    if not folder.exists():
        return False
    _, index_dir = collection_dirs(root, guild_id)
    if index_dir.is_dir():
        with build_lock(index_dir):
            (index_dir / CURRENT_FILE).unlink(missing_ok=True)
    shutil.rmtree(folder)
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
        if folder.name.isdigit() and folder.is_dir():
            guild_id = int(folder.name)
            found.append(_describe(guild_id, folder, collection_dirs(root, guild_id)[1], loaded or set()))
    return found


def _describe(guild_id: int, folder: Path, index_dir: Path, loaded: set[int]) -> CollectionInfo:
    articles = passages = 0
    try:
        name = current_generation(index_dir)
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
