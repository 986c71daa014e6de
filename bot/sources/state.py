"""What a source's last sync saw, kept beside the registry: each page's article file and validators."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.core.files import write_atomically

log = logging.getLogger(__name__)

STATE_FILE = "state.json"


@dataclass
class PageState:
    file: str  # the article's name inside knowledge/sources/<name>/
    etag: str | None = None
    last_modified: str | None = None
    links: list[str] = field(default_factory=list)  # a crawl's links from it, for when it is not re-fetched
    blob: str | None = None  # git: the file's blob id when it was last read


@dataclass
class SyncState:
    pages: dict[str, PageState] = field(default_factory=dict)
    commit: str | None = None  # git: the commit last synced
    redirects: dict[str, str] = field(default_factory=dict)  # a listed URL -> the page it redirects to

    @classmethod
    def load(cls, folder: Path) -> SyncState:
        path = folder / STATE_FILE
        if not path.is_file():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            pages = {key: PageState(**value) for key, value in raw.get("pages", {}).items()}
            return cls(pages, raw.get("commit"), dict(raw.get("redirects", {})))
        except (OSError, ValueError, TypeError, AttributeError) as error:
            # Only a cache of validators and names: start over (every page fetched again, and articles
            # whose page is no longer found stay until the folder is cleared with `source remove`).
            log.warning("sync state %s is damaged (%s); fetching every page again", path, error)
            return cls()

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        raw = {
            "commit": self.commit,
            "redirects": dict(sorted(self.redirects.items())),
            "pages": {key: asdict(page) for key, page in sorted(self.pages.items())},
        }
        write_atomically(folder / STATE_FILE, json.dumps(raw, indent=1) + "\n")

    def taken_files(self) -> set[str]:
        return {page.file for page in self.pages.values()}
