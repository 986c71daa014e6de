"""One error hierarchy for qabot. Adapters (CLI, Discord) turn these into words, each in one place."""

from __future__ import annotations

from pathlib import Path


class QABotError(Exception):
    """Base of every error qabot raises on purpose."""


class KnowledgeError(QABotError):
    """The knowledge directory can't be used."""


class KnowledgeDirMissing(KnowledgeError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"knowledge directory not found: {path}")


class EmptyKnowledgeBase(KnowledgeError):
    def __init__(self, path: Path, skipped: int = 0) -> None:
        self.path = path
        self.skipped = skipped
        detail = f" ({skipped} file(s) skipped as broken)" if skipped else ""
        super().__init__(f"no usable articles in {path}{detail}")


class InvalidArticle(KnowledgeError):
    """One article can't be read; carries the path and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class IndexError_(QABotError):
    """The index on disk can't be used. Fix: rebuild it with `qabot index --full`."""

    hint = "rebuild it with `qabot index --full`"


class IndexMissing(IndexError_):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"no index in {path}; build it with `qabot index`")


class IndexCorrupt(IndexError_):
    def __init__(self, path: Path, reason: str, hint: str | None = None) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"index in {path} is unreadable ({reason}); {hint or self.hint}")


class IndexDirUnusable(IndexError_):
    """The index directory itself can't be used (a part of its path is a file, no permission)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"can't use {path} as the index directory ({reason}); "
            "choose another one with --index or QABOT_INDEX_DIR"
        )


class IndexWriteFailed(IndexError_):
    """Writing a new generation failed (disk full, say); the previous generation is still current."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"could not write the new index in {path} ({reason}); the previous index is still served: "
            "fix that and run `qabot index` again"
        )


class IndexMismatch(IndexError_):
    """The index was built with a different model, dimension, backend, re-ranking model or format."""

    def __init__(self, path: Path, field: str, expected: object, found: object) -> None:
        self.path = path
        self.field = field
        self.expected = expected
        self.found = found
        super().__init__(
            f"index in {path} was built with {field}={found!r} but {expected!r} is configured; {self.hint}"
        )


class IndexBusy(QABotError):
    """A reindex is already running."""

    def __init__(self) -> None:
        super().__init__("a reindex is already running; try again when it finishes")


class QuestionError(QABotError):
    """The question can't be asked as given."""


class EmptyQuestion(QuestionError):
    def __init__(self) -> None:
        super().__init__('the question is empty; ask something, e.g. `qabot ask "What is PyTorch?"`')


class QuestionTooLong(QuestionError):
    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(f"the question is {length} characters long; the limit is {limit}")


class QuestionNotText(QuestionError):
    """The question holds code points no text can: lone surrogates, which is what undecodable bytes
    become when a terminal or a JSON payload hands Python something that is not UTF-8."""

    def __init__(self, position: int) -> None:
        self.position = position  # index of the first bad code point in the question as given
        super().__init__(
            f"the question is not valid text (undecodable bytes at character {position + 1}); "
            "send it as UTF-8"
        )


class ModelError(QABotError):
    """The embedding model can't be loaded."""

    def __init__(self, model: str, reason: str) -> None:
        self.model = model
        self.reason = reason
        super().__init__(f"can't load embedding model {model!r}: {reason}")


class UploadRefused(QABotError):
    """An uploaded article was not saved; nothing changed."""

    def __init__(self, filename: str, reason: str) -> None:
        self.filename = filename
        self.reason = reason
        super().__init__(f"`{filename}` was not added: {reason}")


class UnknownArticle(QABotError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"there is no article `{path}` in the knowledge base; pick one from the list")


class ConfigError(QABotError):
    """A setting can't be used as given (found before anything connects)."""


class SettingsError(ConfigError):
    """A setting's value can't be used; `name` is its environment variable."""

    def __init__(self, name: str, reason: str, value: str | None = None) -> None:
        self.name = name
        self.reason = reason
        self.value = value  # None for secrets, which are never echoed
        shown = f" (got {value!r})" if value is not None else ""
        super().__init__(f"setting {name} is invalid: {reason}{shown}; fix it in the environment or .env")


class SettingsFileUnreadable(ConfigError):
    """The settings file (.env) exists but can't be read; its text is never shown (it holds the token)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"can't read the settings file {path} ({reason}); fix it or remove it")


class DatabaseUnusable(ConfigError):
    """The database file can't be opened as one (a folder, a text file, no permission); nothing was written."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"can't use {path} as the database ({reason}); choose another file with QABOT_DATABASE_PATH"
        )


class ShardConfigError(ConfigError):
    """QABOT_SHARD_IDS / QABOT_SHARD_COUNT name shards this process can't run."""

    def __init__(self, shard_ids: list[int], shard_count: int | None, invalid: list[int]) -> None:
        self.shard_ids = shard_ids
        self.shard_count = shard_count
        self.invalid = invalid  # ids outside 0..shard_count-1 or repeated; all of them without a count
        super().__init__(f"shard ids {shard_ids} can't run with shard count {shard_count}")


class SettingRefused(QABotError):
    """A /config value can't be used; nothing was changed."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"`{name}` was not changed: {reason}")


class BaseCollectionRefused(QABotError):
    """Someone tried to change the base collection from a server that is not one of the operator's."""

    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__(
            f"{action} on the base collection only works in the operator's home servers or from the "
            "command line; this server can change its own collection (scope: server). Nothing was changed."
        )


class QuotaExceeded(QABotError):
    """A change would pass a server collection's quota (QABOT_MAX_SERVER_ARTICLES or _MB), so that one
    server can't fill the disk every server shares; nothing was written."""

    def __init__(self, setting: str, limit: int, wanted: int, unit: str) -> None:
        self.setting = setting
        self.limit = limit  # articles, or bytes
        self.wanted = wanted  # what the collection would hold after the change
        self.unit = unit  # "articles" or "bytes"
        if unit == "bytes":
            amount = f"{wanted / 2**20:.1f} MB, more than the {limit / 2**20:g} MB"
            hint = "remove articles or sources first (the trash counts too: the operator can empty it)"
        else:
            amount = f"{wanted:,} articles, more than the {limit:,}"
            hint = "remove articles or sources first"
        super().__init__(
            f"this server's collection would hold {amount} it may ({setting}); {hint}. Nothing was changed."
        )

    @property
    def limit_text(self) -> str:
        """The quota as one short phrase: `50 MB (QABOT_MAX_SERVER_MB)`."""
        shown = f"{self.limit / 2**20:g} MB" if self.unit == "bytes" else f"{self.limit:,} articles"
        return f"{shown} ({self.setting})"


class CollectionLinked(QABotError):
    """A server's collection folder (or its knowledge or index folder) is a symbolic link: qabot made
    them as real folders, so a link was planted, and is never followed (read, written or deleted through)."""

    def __init__(self, guild_id: int, part: str) -> None:
        self.guild_id = guild_id
        self.part = part
        super().__init__(
            f"the collection of server {guild_id} can't be used: its {part} is a symbolic link, which "
            "qabot never follows; the operator must replace it with a real folder"
        )


class NoCollection(QABotError):
    """A server without a collection of its own asked to change or reindex it."""

    def __init__(self, guild_id: int) -> None:
        self.guild_id = guild_id
        super().__init__(
            "this server has no collection of its own yet; add an article with /kb add to start one"
        )


SHOWN_LOCATION_CHARS = 300  # a hostile URL may be thousands of characters; messages show its start


def shown_location(location: str) -> str:
    """A URL or path as messages, logs and the audit trail show it: a user name and password in a URL
    replaced by `***` (never shown, even when refused for having one), control characters escaped so
    it stays on one line, and cut at SHOWN_LOCATION_CHARS."""
    scheme, separator, rest = location.partition("://")
    if separator:
        cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
        authority, path = rest[:cut], rest[cut:]
        if "@" in authority:
            authority = "***@" + authority.rpartition("@")[2]
        location = f"{scheme}://{authority}{path}"
    escaped = "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in location
    )
    return escaped if len(escaped) <= SHOWN_LOCATION_CHARS else escaped[:SHOWN_LOCATION_CHARS] + "…"


class SourceError(QABotError):
    """A knowledge source (a website, a git repository, a file URL) can't be added, fetched or synced."""


class SourceRefused(SourceError):
    """A location is not allowed as a source or as a place to fetch from (scheme, address, name, ...);
    nothing was fetched from it."""

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        self.reason = reason
        super().__init__(f"refused {shown_location(location)}: {reason}")


class FetchFailed(SourceError):
    """One fetch failed (HTTP error, timeout, too big, wrong type); the last good copy is kept."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        self.url = url
        self.reason = reason
        self.status = status  # the HTTP status when the server answered with an error
        super().__init__(f"could not fetch {shown_location(url)}: {reason}")


class SyncFailed(SourceError):
    """A whole source could not be synced (robots.txt or the repository unreachable); its pages as
    they were are kept, and so is the index."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"source {name} was not synced: {reason}; its last good copy is kept")


class UnknownSource(SourceError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"there is no source named {name!r}; `qabot source list` or `/kb source list` shows them")


class SourceExists(SourceError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"a source named {name!r} exists already; remove it first or pick another name")


class TooManySources(SourceError):
    """A server's moderators tried to add a source past QABOT_MAX_SOURCES_PER_SERVER, so that one server
    can't make the bot crawl without bound."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        reason = (
            f"this server has {limit} source{'s' if limit > 1 else ''}, the most it may have "
            "(QABOT_MAX_SOURCES_PER_SERVER); "
            "remove one with /kb source remove first"
            if limit
            else "the operator has turned servers' own sources off (QABOT_MAX_SOURCES_PER_SERVER is 0)"
        )
        super().__init__(f"{reason}. Nothing was changed.")


class SyncBusy(SourceError):
    """Another process or command is syncing sources (one lock file per sources folder)."""

    def __init__(self) -> None:
        super().__init__("another sync is running; try again when it finishes")
