"""Git repositories: fetched into a bare clone with the real `git`, files read straight from its objects.

There is no checkout: files are read with `git cat-file` from the fetched commit, so nothing in the
repository (a symbolic link to /etc/passwd, a hook, a filter in .gitattributes) ever acts on this machine.
Only http(s) remotes (or, from the command line, a local repository) are allowed: git runs with its
protocol allow-list set to those, redirects off, no terminal prompt and no system or user config, so
`ext::` and other transports can't run commands; its connection goes to the address addresses.py checked. A file is re-read only when its blob id changed since the
last sync, and its citation URL is the file at the commit it was read at on the web host, when the
remote is a host whose URL layout is known.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

from bot.core.documents import parse_document
from bot.core.knowledge_files import SUPPORTED_SUFFIXES
from bot.core.quota import Allowance
from bot.errors import InvalidArticle, QuotaExceeded, SourceRefused, SyncFailed
from bot.sources.addresses import resolve
from bot.sources.gitprocess import Git
from bot.sources.pages import article_name, article_text, unique_name
from bot.sources.policy import FetchPolicy
from bot.sources.registry import Source
from bot.sources.state import PageState, SyncState
from bot.sources.website import OVER_QUOTA, Outcome, write_if_changed

REGULAR_FILE_MODES = ("100644", "100755")  # not links (120000) or submodules (160000)
# Where a file at a commit is shown, per web host.
BLOB_URLS = {
    "github.com": "https://github.com/{repo}/blob/{commit}/{path}",
    "gitlab.com": "https://gitlab.com/{repo}/-/blob/{commit}/{path}",
    "codeberg.org": "https://codeberg.org/{repo}/src/commit/{commit}/{path}",
    "bitbucket.org": "https://bitbucket.org/{repo}/src/{commit}/{path}",
}
SYNCED_REF = "refs/qabot/synced"  # the commit last read; the next fetch says it has it
SLUGGED = (".md", ".markdown", ".mdx", ".ipynb")  # rendered by the host, headings anchored by slug


@dataclass(frozen=True)
class TreeFile:
    path: str  # in the repository
    blob: str
    size: int


def fetch_commit(source: Source, clone: Path, policy: FetchPolicy) -> tuple[Git, str]:
    """Fetch the branch's latest commit into the bare clone (made on first use); returns its id."""
    pinned: tuple[str, ...] = ()
    if not source.is_local:
        target = resolve(
            source.location, policy.allow_private
        )  # the host's addresses, checked like any fetch
        # git resolves the name again itself; curl's resolve list makes it use the address checked here.
        address = f"[{target.address}]" if ":" in target.address else target.address
        pinned = ("-c", f"http.curloptResolve={target.host}:{target.port}:{address}")
        if policy.ca_bundle:
            pinned += ("-c", f"http.sslCAInfo={policy.ca_bundle}")
    clone.mkdir(parents=True, exist_ok=True)
    git = Git(clone, source.is_local, max(policy.timeout, 60.0) * 5, pinned)
    if not (clone / "HEAD").exists():
        git.run("init", "--bare", "--quiet", ".", name=source.name)
    ref = source.branch or "HEAD"
    git.fetch(
        "--depth",
        "1",
        "--no-tags",
        "--quiet",
        "--",
        source.location,
        ref,
        name=source.name,
        max_bytes=policy.max_repo_bytes,
    )
    commit = git.run("rev-parse", "FETCH_HEAD^{commit}", name=source.name).decode().strip()
    return git, commit


def tree_files(
    git: Git, commit: str, source: Source, policy: FetchPolicy
) -> tuple[list[TreeFile], list[str]]:
    """The repository's article files below the source's folder that its globs keep, in the tree's order,
    at most `policy.max_pages` of them; and notes on what was left unread. The listing is read as git
    writes it and only `policy.max_tree_entries` entries far, so a tree of millions costs no more."""
    folder = source.folder.strip("/")
    args = ["ls-tree", "-r", "-l", "-z", "--full-tree", commit, *(["--", folder] if folder else [])]
    files: list[TreeFile] = []
    with closing(git.records(*args, name=source.name)) as entries:
        for seen, entry in enumerate(entries, 1):
            if seen > policy.max_tree_entries:
                return files, [
                    f"stopped reading the repository's file list at {policy.max_tree_entries:,} entries; "
                    "the rest were not considered"
                ]
            file = _tree_file(entry, folder, source)
            if file is None:
                continue
            if len(files) == policy.max_pages:
                return files, [
                    f"stopped at {policy.max_pages} files (QABOT_SOURCES_MAX_PAGES); the rest were not read"
                ]
            files.append(file)
    return files, []


def _tree_file(entry: bytes, folder: str, source: Source) -> TreeFile | None:
    """The listed entry, if it is a regular file the source wants."""
    meta, _, raw_path = entry.partition(b"\t")
    mode, kind, blob, size = meta.decode().split()
    path = raw_path.decode("utf-8", "replace")
    if kind != "blob" or mode not in REGULAR_FILE_MODES or not _wanted(path, folder, source):
        return None
    return TreeFile(path, blob, int(size) if size.isdigit() else 0)


def _wanted(path: str, folder: str, source: Source) -> bool:
    if PurePosixPath(path).suffix.lower() not in SUPPORTED_SUFFIXES:
        return False
    relative = path[len(folder) + 1 :] if folder else path
    if source.include and not any(fnmatch.fnmatch(relative, glob) for glob in source.include):
        return False
    return not any(fnmatch.fnmatch(relative, glob) for glob in source.exclude)


def blob_url(location: str, commit: str, path: str) -> str | None:
    """The web page of `path` at `commit`, for a remote on a host in BLOB_URLS; else None."""
    parts = urlsplit(location)
    template = BLOB_URLS.get(parts.hostname or "")
    if parts.scheme not in ("http", "https") or template is None:
        return None
    repo = parts.path.strip("/").removesuffix(".git")
    return template.format(repo=repo, commit=commit, path=quote(path))


def sync_repository(
    source: Source,
    folder: Path,
    state: SyncState,
    clone: Path,
    policy: FetchPolicy,
    progress: Callable[[int, int], None] | None = None,
    allowance: Allowance | None = None,
) -> tuple[list[Outcome], list[str]]:
    """Read the changed files of the branch's latest commit into articles; returns each file's outcome.
    With an `allowance`, files that would pass the collection's quota are not written."""
    git, commit = fetch_commit(source, clone, policy)
    files, notes = tree_files(git, commit, source, policy)
    taken = state.taken_files()
    outcomes = []
    for done, file in enumerate(files, 1):
        outcomes.append(_read_file(git, source, folder, state, commit, file, taken, policy, allowance))
        if progress:
            progress(done, len(files))
    if commit != state.commit:  # an unchanged branch fetched nothing: the clone is as tidy as it was
        try:
            keep_only(git, commit, source.name)
        except SyncFailed as error:  # the articles are read; a clone left untidy costs disk, not answers
            notes.append(f"the repository's clone was not tidied ({error.reason})")
    state.commit = commit
    return outcomes, notes


def keep_only(git: Git, commit: str, name: str) -> None:
    """Name `commit` in the clone and drop every object it doesn't need. Without a ref, each fetch sent
    the whole tree again (git can only say what it has through its refs) and kept it in a new pack: a
    repository synced hourly grew the disk by its own size every hour."""
    git.run("update-ref", SYNCED_REF, commit, name=name)
    git.run("-c", "gc.auto=0", "gc", "--prune=now", "--quiet", name=name)


def _read_file(
    git: Git,
    source: Source,
    folder: Path,
    state: SyncState,
    commit: str,
    file: TreeFile,
    taken: set[str],
    policy: FetchPolicy,
    allowance: Allowance | None,
) -> Outcome:
    previous = state.pages.get(file.path)
    if previous is not None and previous.blob == file.blob:
        return Outcome(file.path, "unchanged")
    if file.size > policy.max_page_bytes:
        return Outcome(file.path, "failed", f"{file.size:,} bytes; the limit is {policy.max_page_bytes:,}")
    try:
        data = git.run("cat-file", "blob", file.blob, name=source.name)
        document = parse_document(file.path, data)
    except (InvalidArticle, SyncFailed) as error:
        return Outcome(file.path, "failed", getattr(error, "reason", str(error)))
    relative = file.path[len(source.folder.strip("/")) + 1 :] if source.folder.strip("/") else file.path
    name = previous.file if previous else unique_name(article_name(relative), file.path, taken)
    taken.add(name)
    slugged = PurePosixPath(file.path).suffix.lower() in SLUGGED
    url = blob_url(source.location, commit, file.path)
    try:
        changed = write_if_changed(
            folder, name, article_text(document, url, source.name, slug_anchors=slugged), allowance
        )
    except SourceRefused as error:
        return Outcome(file.path, "failed", error.reason)
    except QuotaExceeded as error:
        return Outcome(file.path, OVER_QUOTA, error.limit_text)
    state.pages[file.path] = PageState(name, blob=file.blob)
    return Outcome(file.path, "written" if changed else "unchanged")
