"""Collections: the operator's base knowledge base and each server's own, isolated from each other.

A server's collection lives in `<root>/<guild id>/knowledge` and `<root>/<guild id>/index` (root is the
data folder's `collections/`, never inside the base's knowledge folder), with the same index format and
generations as the base. A server answers from its own collection plus the base (see Scope); it never
sees another server's. Every collection shares the base's loaded embedder, so one only costs its index.

Server collections are loaded on first use and evicted least-recently-used when the estimated size of
the loaded ones passes the memory budget; the base is always loaded. Another process's change reaches
this one through refresh(), which compares each loaded collection's CURRENT file with what it serves,
the way the base is refreshed; a collection that is not loaded is read fresh when next used.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

from bot.core.answer import Answer, compose_answer
from bot.core.articles import ArticleChange, add_article, move_to_trash, remove_article, trashable
from bot.core.collection_folders import (
    CollectionInfo,
    collection_dirs,
    collection_folder,
    delete_collection,
    describe_collections,
    drop_index,
    holds_article,
)
from bot.core.indexer import BuildReport
from bot.core.merged import BASE, SERVER, Part, ask_across
from bot.core.quota import Quota, Usage, folder_usage
from bot.core.service import KnowledgeBase, clean_question
from bot.core.store import CURRENT_FILE, current_generation, read_manifest
from bot.errors import IndexError_, KnowledgeError, NoCollection, UnknownArticle, UploadRefused

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scope:
    """What a question in a server is answered from: its collection (when it has one), plus the base
    unless `use_base` is off, without the base articles it hid; `threshold` overrides the default."""

    guild_id: int | None = None
    use_base: bool = True
    hidden_base: frozenset[str] = frozenset()
    threshold: float | None = None

    @property
    def plain(self) -> bool:
        """Whether, without a collection of its own, the server gets exactly the base's answers."""
        return self.use_base and not self.hidden_base and self.threshold is None


@dataclass
class _Loaded:
    kb: KnowledgeBase
    size: int  # estimated resident bytes (its generation's files; the vectors are memory-mapped)


class Collections:
    """The base knowledge base and the servers' collections under `root`, loaded within a budget."""

    def __init__(
        self, base: KnowledgeBase, root: Path, memory_budget: int, quota: Quota | None = None
    ) -> None:
        self.base = base
        self.root = root
        self.memory_budget = memory_budget
        self.quota = quota  # what each server's knowledge folder may hold; None: no limit
        self._loaded: OrderedDict[int, _Loaded] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()  # guards _loaded
        self._load_lock = threading.Lock()  # one load at a time, so a burst loads a collection once

    # -- where things are ------------------------------------------------------------------------
    def folder(self, guild_id: int) -> Path:
        return collection_folder(self.root, guild_id)

    def knowledge_dir(self, guild_id: int) -> Path:
        return collection_dirs(self.root, guild_id)[0]

    def index_dir(self, guild_id: int) -> Path:
        return collection_dirs(self.root, guild_id)[1]

    def exists(self, guild_id: int) -> bool:
        """Whether the server has a collection (an index generation to answer from)."""
        return (self.index_dir(guild_id) / CURRENT_FILE).is_file()

    def knowledge_base(self, guild_id: int) -> KnowledgeBase:
        """The server's collection to change: the loaded one, else a new (unloaded) KnowledgeBase."""
        with self._lock:
            entry = self._loaded.get(guild_id)
        if entry is not None:
            return entry.kb
        base = self.base
        return KnowledgeBase(
            self.knowledge_dir(guild_id),
            self.index_dir(guild_id),
            base.embedder,
            threshold=base.threshold,
            top_k=base.top_k,
            max_question_chars=base.max_question_chars,
            max_article_bytes=base.max_article_bytes,
            reranker=base.reranker,
        )

    # -- loading and eviction --------------------------------------------------------------------
    def loaded(self, guild_id: int) -> KnowledgeBase | None:
        """The server's collection, loaded (on first use) and marked as just used; None without one."""
        with self._lock:
            entry = self._loaded.get(guild_id)
            if entry is not None:
                self._loaded.move_to_end(guild_id)
                return entry.kb
        if not self.exists(guild_id):
            return None
        with self._load_lock:
            with self._lock:
                entry = self._loaded.get(guild_id)
            if entry is not None:  # loaded by another thread while this one waited
                return entry.kb
            kb = self.knowledge_base(guild_id)
            try:
                kb.load(build_if_missing=True)  # rebuilds only an index of another format version
            except KnowledgeError:  # its last article was removed meanwhile
                return None
            self._remember(guild_id, kb)
        return kb

    def _remember(self, guild_id: int, kb: KnowledgeBase) -> None:
        size = _generation_bytes(kb)
        with self._lock:
            self._loaded[guild_id] = _Loaded(kb, size)
            self._loaded.move_to_end(guild_id)
            while len(self._loaded) > 1 and self.resident_bytes() > self.memory_budget:
                evicted, _ = self._loaded.popitem(last=False)
                log.info("collection of server %s evicted (memory budget)", evicted)

    def resident_bytes(self) -> int:
        """Estimated bytes of the loaded server collections (the base not counted)."""
        return sum(entry.size for entry in self._loaded.values())

    def loaded_ids(self) -> list[int]:
        with self._lock:
            return list(self._loaded)

    def evict(self, guild_id: int) -> None:
        with self._lock:
            self._loaded.pop(guild_id, None)

    def refresh(self) -> list[int]:
        """Pick up generations other processes built for the loaded collections (and forget the ones
        they emptied); returns the servers whose collection changed."""
        changed = []
        for guild_id in self.loaded_ids():
            with self._lock:
                entry = self._loaded.get(guild_id)
            if entry is None:
                continue
            if not self.exists(guild_id):
                self.evict(guild_id)
                changed.append(guild_id)
                continue
            try:
                if entry.kb.refresh():
                    entry.size = _generation_bytes(entry.kb)
                    changed.append(guild_id)
            except IndexError_ as error:  # a damaged generation: keep serving the one loaded
                log.warning("can't load the new index of server %s, keeping the old: %s", guild_id, error)
        return changed

    # -- asking ----------------------------------------------------------------------------------
    def clean_question(self, question: str) -> str:
        return self.base.clean_question(question)

    def ask_many(self, questions: list[str], k: int | None = None, scope: Scope = Scope()) -> list[Answer]:
        """Answer as the server in `scope` would: its collection and the base, merged by confidence."""
        guild = self.loaded(scope.guild_id) if scope.guild_id is not None else None
        if guild is None and scope.plain:
            return self.base.ask_many(questions, k)  # exactly the single-collection behaviour
        parts = [Part(SERVER, guild)] if guild is not None else []
        if scope.use_base:
            # Labelled only beside a server collection: alone, the base needs no name in citations.
            parts.append(Part(BASE if guild is not None else "", self.base, scope.hidden_base))
        threshold = self.base.threshold if scope.threshold is None else scope.threshold
        limit = self.base.max_question_chars
        if not parts:  # the base switched off and no collection yet: nothing to answer from
            return [compose_answer(clean_question(q, limit), [], threshold) for q in questions]
        return ask_across(parts, questions, k or self.base.top_k, threshold, limit)

    # -- changing --------------------------------------------------------------------------------
    def add(self, guild_id: int, filename: str, data: bytes, *, limit: int, replace: bool) -> ArticleChange:
        """Add an article to the server's collection (made on first use) and reindex it; QuotaExceeded,
        with nothing written, when the collection would pass its quota."""
        kb = self.knowledge_base(guild_id)
        try:
            kb.knowledge_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:  # a file where a folder should be (QABOT_COLLECTIONS_DIR=/etc/passwd)
            raise UploadRefused(
                filename,
                f"the collection's folder {kb.knowledge_dir} can't be made ({error.strerror or error}); "
                "the operator must fix QABOT_COLLECTIONS_DIR",
            ) from None
        change = add_article(kb, filename, data, limit=limit, replace=replace, quota=self.quota)
        self._remember(guild_id, kb)
        return change

    def remove(self, guild_id: int, relative: str) -> ArticleChange:
        """Delete an article of the server's collection and reindex; removing the last one removes the
        collection's index, so the server answers from the base alone again. The article waits in the
        trash until the reindex succeeds (put back if it fails), then goes: the server's quota counts its
        disk, trash included, and only the operator could empty it (the server's moderators can upload
        the article again)."""
        kb = self.knowledge_base(guild_id)
        if not trashable(kb.knowledge_dir, relative):
            raise UnknownArticle(relative)
        if holds_article(kb.knowledge_dir, relative):
            change = remove_article(kb, relative)
            self._remember(guild_id, kb)
        else:
            trashed = move_to_trash(kb.knowledge_dir, relative)
            self.drop_index(guild_id)
            report = BuildReport(0, 0, 0, 0, (), 0.0, removed=(relative,))
            change = ArticleChange(relative, report, trashed=trashed)
        if change.trashed is not None:
            change.trashed.unlink(missing_ok=True)
        return replace(change, trashed=None)

    def reindex(self, guild_id: int) -> BuildReport:
        """Rebuild the server's collection from its knowledge folder (edited by hand, say); NoCollection
        when the folder holds no article (none added yet, or all removed)."""
        kb = self.knowledge_base(guild_id)
        if not holds_article(kb.knowledge_dir):
            raise NoCollection(guild_id)
        report = kb.reindex()
        self._remember(guild_id, kb)
        return report

    def rebuild(self, guild_id: int) -> BuildReport:
        """Reindex after the collection's folder changed underneath (its sources synced or one removed):
        a new generation swapped in, or with no article left no index, so it answers from the base alone."""
        if holds_article(self.knowledge_dir(guild_id)):
            return self.reindex(guild_id)
        index_dir = self.index_dir(guild_id)
        name = current_generation(index_dir) if self.exists(guild_id) else None
        removed = tuple(read_manifest(index_dir / name).articles) if name else ()
        self.drop_index(guild_id)
        return BuildReport(0, 0, 0, 0, (), 0.0, removed=removed)

    def drop_index(self, guild_id: int) -> None:
        """Remove the collection's index (CURRENT first, so no reader picks up a half-deleted one)."""
        drop_index(self.root, guild_id)
        self.evict(guild_id)

    def delete(self, guild_id: int) -> bool:
        """Delete the server's collection, articles and all; False when it had none."""
        self.evict(guild_id)
        return delete_collection(self.root, guild_id)

    def usage(self, guild_id: int) -> Usage:
        """What the server's knowledge folder holds, as its quota counts it."""
        return folder_usage(self.knowledge_dir(guild_id))

    def describe(self) -> list[CollectionInfo]:
        return describe_collections(self.root, set(self.loaded_ids()))


def _generation_bytes(kb: KnowledgeBase) -> int:
    directory = kb.searcher.store.directory
    return sum(entry.stat().st_size for entry in os.scandir(directory) if entry.is_file())
