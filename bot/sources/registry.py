"""The list of sources (one JSON file in the sources folder) and what kind of thing each location is."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from bot.core.files import write_atomically
from bot.core.knowledge_files import SUPPORTED_SUFFIXES
from bot.errors import SourceExists, SourceRefused, UnknownSource
from bot.sources.addresses import check_url

REGISTRY_FILE = "sources.json"
# A source's name is a folder name under knowledge/sources/ and in the sources folder: nothing else.
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# Hosts whose repository URLs are recognised without a `.git` suffix.
GIT_HOSTS = ("github.com", "gitlab.com", "codeberg.org", "bitbucket.org")

Kind = Literal["website", "git", "file"]


@dataclass(frozen=True)
class Source:
    name: str
    kind: Kind
    location: str  # a URL, or for git from the command line a local path
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    branch: str = ""  # git: empty means the remote's default branch
    folder: str = ""  # git: only files below this folder of the repository

    @property
    def is_local(self) -> bool:
        return self.kind == "git" and urlsplit(self.location).scheme not in ("http", "https")


@dataclass
class Registry:
    path: Path
    sources: dict[str, Source] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> Registry:
        path = folder / REGISTRY_FILE
        if not path.is_file():
            return cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            sources = {}
            for entry in raw["sources"]:
                entry["include"] = tuple(entry.get("include", ()))
                entry["exclude"] = tuple(entry.get("exclude", ()))
                sources[entry["name"]] = Source(**entry)
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise SourceRefused(
                str(path), f"the source list is damaged ({error}); fix or delete it"
            ) from None
        return cls(path, sources)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entries = [asdict(source) for source in sorted(self.sources.values(), key=lambda s: s.name)]
        write_atomically(self.path, json.dumps({"sources": entries}, indent=2) + "\n")

    def get(self, name: str) -> Source:
        source = self.sources.get(name)
        if source is None:
            raise UnknownSource(name)
        return source

    def add(self, source: Source) -> None:
        if source.name in self.sources:
            raise SourceExists(source.name)
        self.sources[source.name] = source


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise SourceRefused(
            name,
            "a source's name is 1-40 characters: lower-case letters, digits, - and _ (e.g. `pytorch-docs`)",
        )
    return name


# A folder of a branch as the hosts show it: github.com/org/repo/tree/<branch>/<folder>, and GitLab's
# gitlab.com/group/repo/-/tree/<branch>/<folder>. The branch is taken to be one path segment.
TREE_URL = re.compile(
    r"^/(?P<repo>[^/]+/[^/]+?)(?:\.git)?/(?:-/)?tree/(?P<branch>[^/]+)(?:/(?P<folder>.*))?$"
)


def split_tree_url(location: str) -> tuple[str, str, str] | None:
    """(repository URL, branch, folder) for a URL of a folder on GitHub or GitLab, else None."""
    parts = urlsplit(location)
    match = TREE_URL.match(parts.path.rstrip("/")) if parts.hostname in ("github.com", "gitlab.com") else None
    if match is None:
        return None
    repository = f"{parts.scheme}://{parts.netloc}/{match.group('repo')}"
    return repository, match.group("branch"), (match.group("folder") or "").strip("/")


def guess_kind(location: str) -> Kind:
    """git for a `.git` URL or a repository on a known host, file for a URL naming one article file,
    website for any other URL. Local paths are git repositories."""
    parts = urlsplit(location)
    if parts.scheme not in ("http", "https"):
        return "git"
    path = parts.path.rstrip("/")
    if path.endswith(".git") or (parts.hostname in GIT_HOSTS and path.count("/") == 2):
        return "git"
    if Path(path).suffix.lower() in SUPPORTED_SUFFIXES and Path(path).suffix.lower() not in (".html", ".htm"):
        return "file"
    return "website"


def check_location(kind: Kind, location: str, local_allowed: bool) -> str:
    """The location, checked for its kind: http(s) URLs everywhere; a local repository path only where
    `local_allowed` (the command line, run by the machine's operator; never Discord)."""
    if location.startswith("-"):  # would be read as an option by git
        raise SourceRefused(location, "a location can't start with -")
    if kind != "git" or urlsplit(location).scheme:
        check_url(location)
        return location
    if not local_allowed:
        raise SourceRefused(location, "a local repository can be added only from the command line")
    path = Path(location).expanduser().resolve()
    if not path.is_dir():
        raise SourceRefused(location, "not a folder (a git repository's URL or local path is expected)")
    return str(path)
