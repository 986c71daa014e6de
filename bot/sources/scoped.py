"""Sources per collection: the base's (the operator's `QABOT_SOURCES_DIR`, writing into `knowledge/`) and
each server's own, kept inside its collection folder beside its articles and index:

    <collections root>/<server id>/sources/sources.json    its source list, and each source's state
    <collections root>/<server id>/knowledge/sources/<name>/ the articles its sources' pages became

So a server's sources go wherever its collection goes: `qabot collections delete` and the retention
purge delete them with it, and no server can name, read or overwrite another's. A server's list is
capped (`max_per_server`) so that one server can't make the bot crawl without bound, and its sync stops
writing pages at the collection's quota (`quota`, see bot.core.quota); the command line, being the
operator, is capped by neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core.collection_folders import collection_dirs, collection_folder
from bot.core.quota import Quota
from bot.errors import SourceRefused
from bot.sources.registry import REGISTRY_FILE, Registry
from bot.sources.service import SourceService

SOURCES_FOLDER = "sources"  # in a server's collection folder, beside knowledge/ and index/


@dataclass(frozen=True)
class CollectionSources:
    """The base's SourceService and the way to each server collection's."""

    base: SourceService
    root: Path  # the servers' collections (bot.wiring.collections_root)
    max_per_server: int | None = None
    quota: Quota | None = None  # what a server's collection may hold; the base has no quota

    def of(self, guild_id: int | None, *, capped: bool = True) -> SourceService:
        """The base's sources (None) or the server's; `capped`: with the per-server limit and quota."""
        if guild_id is None:
            return self.base
        knowledge_dir, _ = collection_dirs(self.root, guild_id)
        return SourceService(
            collection_folder(self.root, guild_id) / SOURCES_FOLDER,
            knowledge_dir,
            self.base.policy,
            max_sources=self.max_per_server if capped else None,
            quota=self.quota if capped else None,
        )

    def servers_with_sources(self) -> list[int]:
        """The servers whose collection has a source list with at least one source, by id."""
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(self.root.iterdir(), key=lambda p: p.name):
            registry = folder / SOURCES_FOLDER / REGISTRY_FILE
            if folder.name.isdigit() and registry.is_file() and _has_sources(registry.parent):
                found.append(int(folder.name))
        return found


def _has_sources(folder: Path) -> bool:
    try:
        return bool(Registry.load(folder).sources)
    except SourceRefused:  # a damaged list: reported when that server syncs, one line, not here
        return True
