"""Settings, read from the environment or `.env`.

Instances are built in entry points (CLI, bot start-up) and passed down, never at import time, so tests
build their own and CI needs no token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import Field, FilePath, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

from bot.errors import SettingsError, SettingsFileUnreadable

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def _split_ids(value: object) -> object:
    """Accept `1,2,3` (and blanks) from the environment as well as real lists."""
    if isinstance(value, str):
        parts = [part for part in value.replace(" ", "").split(",") if part]
        if not all(part.isdigit() for part in parts):
            raise ValueError(
                "expected comma-separated numeric Discord ids, e.g. 123456789012345678,234567890123456789"
            )
        return [int(part) for part in parts]
    return value


def load_settings(settings_class: type[SettingsT], **values: object) -> SettingsT:
    """Build settings in an entry point; a bad value becomes SettingsError naming its variable."""
    try:
        return settings_class(**values)
    except ValidationError as error:
        raise _settings_error(settings_class, error) from None
    except PydanticSettingsError as error:
        raise SettingsError("settings", str(error)) from None
    except UnicodeDecodeError as error:  # only .env is decoded here; the environment is already text
        line = error.object[: error.start].count(b"\n") + 1
        raise SettingsFileUnreadable(
            _env_file(settings_class, values), f"line {line} is not valid UTF-8"
        ) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SettingsFileUnreadable(_env_file(settings_class, values), reason) from None


def _env_file(settings_class: type[BaseSettings], values: dict[str, object]) -> Path:
    return Path(str(values.get("_env_file", settings_class.model_config.get("env_file"))))


def env_name(settings_class: type[BaseSettings], field_name: str) -> str:
    field = settings_class.model_fields.get(field_name)
    if field is not None and isinstance(field.validation_alias, str):
        return field.validation_alias
    return f"{settings_class.model_config.get('env_prefix', '')}{field_name}".upper()


def _settings_error(settings_class: type[BaseSettings], error: ValidationError) -> SettingsError:
    first = error.errors()[0]
    field_name = str(first["loc"][0]) if first["loc"] else "settings"
    by_alias = {f.validation_alias: n for n, f in settings_class.model_fields.items() if f.validation_alias}
    field_name = by_alias.get(field_name, field_name)  # the token is reported under its alias
    field = settings_class.model_fields.get(field_name)
    secret = field is not None and "SecretStr" in repr(field.annotation)
    reason = first["msg"].removeprefix("Value error, ")
    shown = None if secret or first.get("input") is None else str(first["input"])[:80]
    return SettingsError(env_name(settings_class, field_name), reason, shown)


class CoreSettings(BaseSettings):
    """Where the knowledge lives, how it is embedded and when the bot answers."""

    model_config = SettingsConfigDict(
        env_prefix="QABOT_", env_file=".env", extra="ignore", env_ignore_empty=True, allow_inf_nan=False
    )

    knowledge_dir: Path = Path("knowledge")
    index_dir: Path = Path("index")
    model: str = DEFAULT_MODEL
    model_cache_dir: Path = Path("index/models")
    backend: Literal["auto", "torch", "onnx", "onnx-int8"] = "auto"
    # The largest round value that still answers 95 % of the answerable questions on every development
    # set (python-faq, python-faq-pages, libs-faq-pages: 0.486, 0.476, 0.445); README, "Measured quality".
    threshold: float = Field(default=0.44, ge=0.0, le=1.0)
    # A second, stronger sentence-transformers model that re-ranks the best passages (empty: off). It
    # costs about 100 ms per question and 0.7 s per indexed passage with all-mpnet-base-v2 on 2 cores.
    rerank_model: str = ""
    # Used instead of `threshold` when the re-ranker is on: the blended score has its own scale (the
    # thresholds answering 95 % with all-mpnet-base-v2 were 0.441, 0.420 and 0.472 on the three sets).
    rerank_threshold: float = Field(default=0.42, ge=0.0, le=1.0)
    top_k: int = Field(default=5, ge=1, le=50)
    max_question_chars: int = Field(default=4000, ge=10)
    # Chunking is roughly linear in size but slow per byte (a 50 MB file took 4 minutes); real articles
    # are a few KB, so 2 MB only stops mistakes (a log or a dump saved as .md) and attacks.
    max_article_bytes: int = Field(default=2_000_000, ge=1024)
    # Each server's own collection: <collections_dir>/<server id>/knowledge and .../index; None: the
    # folder `collections` beside the database (data/collections by default), with the other server data.
    collections_dir: Path | None = None
    # Loaded server collections are evicted least-recently-used past this many MB of index files (a
    # 20-article collection of 60 passages is about 0.7 MB; the base and the model are not counted).
    collections_memory_mb: int = Field(default=256, ge=1)
    # What one server's collection may hold (its knowledge folder: uploads, synced pages and the trash),
    # so that one server's moderators can't fill the disk every server shares. 1,000 articles and 50 MB
    # hold a large project's documentation (a full source of QABOT_SOURCES_MAX_PAGES, 500 pages of a few
    # KB to a few tens of KB as Markdown, plus hand-written articles); PDFs, kept as uploaded, are the
    # big ones. At least 1: a 0 ("no articles of their own") would not switch server collections off
    # (those made already would go on answering), so it is not offered. The command line is not limited.
    max_server_articles: int = Field(default=1000, ge=1)
    max_server_mb: int = Field(default=50, ge=1)


class DiscordSettings(BaseSettings):
    """How the bot reaches Discord and who may do what there."""

    model_config = SettingsConfigDict(
        env_prefix="QABOT_", env_file=".env", extra="ignore", env_ignore_empty=True, allow_inf_nan=False
    )

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    dev_guild_id: int | None = None
    moderator_role_ids: Annotated[list[int], NoDecode] = []
    help_channel_ids: Annotated[list[int], NoDecode] = []
    cooldown_rate: int = Field(default=5, ge=1)
    cooldown_seconds: float = Field(default=60.0, gt=0)
    database_path: Path = Path("data/qabot.sqlite3")
    # None (or the old placeholder "change-me"): a random salt is generated once and kept beside the database.
    user_id_salt: SecretStr | None = None
    # Moderators' display names in the audit trail and the log; off: only salted hashes of their ids.
    audit_moderator_names: bool = False
    retention_days: int = Field(default=90, ge=1)
    max_upload_bytes: int = Field(default=512_000, ge=1024)
    discord_api_base: str = "https://discord.com/api/v10"
    # Used only with shard_count set: automatic sharding connects where GET /gateway/bot says (discord.py).
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: Annotated[list[int], NoDecode] = []
    # At most a day: longer is never meant, and past ~3e11 s the poll's next time overflows the clock (the
    # poll died at its first round and the bot never saw another process's index).
    index_poll_seconds: float = Field(default=5.0, gt=0, le=86_400)
    # Servers where moderators may change the base collection from Discord (`scope: base`); empty: only
    # the development guild, if one is set.
    home_guild_ids: Annotated[list[int], NoDecode] = []
    # Whether /ask answers only the asker by default (a server can change it with /config).
    private_answers: bool = False

    @field_validator("moderator_role_ids", "help_channel_ids", "shard_ids", "home_guild_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split_ids(value)

    def home_guilds(self) -> frozenset[int]:
        """The servers whose moderators may change the base collection: QABOT_HOME_GUILD_IDS, or else the
        development guild (the operator's own by definition), or none."""
        if self.home_guild_ids:
            return frozenset(self.home_guild_ids)
        return frozenset({self.dev_guild_id}) if self.dev_guild_id is not None else frozenset()


class SourcesSettings(BaseSettings):
    """Where knowledge sources are kept and how politely and safely they are fetched."""

    model_config = SettingsConfigDict(
        env_prefix="QABOT_", env_file=".env", extra="ignore", env_ignore_empty=True, allow_inf_nan=False
    )

    # The source list (sources.json) and each source's sync state (ETags, the repository's bare clone).
    sources_dir: Path = Path("data/sources")
    # Loopback and private addresses are refused so that a moderator can't make the bot read internal
    # services; turn this on only for a docs server on your own network (the tests' server is on 127.0.0.1).
    sources_allow_private: bool = False
    # A PEM file of the certificate authorities trusted for https sources (web sites and git), instead of
    # certifi's public ones: for documentation served inside a company behind its own authority.
    sources_ca_bundle: FilePath | None = None
    sources_max_pages: int = Field(default=500, ge=1)
    # A response longer than this is cut off and its page skipped; PDFs are the big ones.
    sources_max_page_bytes: int = Field(default=5_000_000, ge=1024)
    # What one git fetch may download into a repository's clone: a hostile commit could fill the disk.
    sources_max_repo_mb: int = Field(default=200, ge=1)
    # Seconds between two requests to a site, and requests in flight at once: a docs site is someone
    # else's server.
    # Both at most an hour: past ~1e10 s the clock overflows (every fetch failed with a traceback).
    sources_request_interval: float = Field(default=0.5, ge=0, le=3_600)
    sources_concurrency: int = Field(default=2, ge=1, le=8)
    sources_timeout_seconds: float = Field(default=20.0, gt=0, le=3_600)
    # Sources a server's moderators may add to its own collection from Discord (each up to
    # sources_max_pages pages), so one server can't make the bot crawl without bound; 0: none. The
    # command line (the operator) is not limited.
    max_sources_per_server: int = Field(default=5, ge=0)
    # The bot syncs every collection's sources this often; 0 turns the schedule off (`/kb source sync` still works).
    # At most a year: a longer interval overflowed the schedule's clock, and the schedule died unnoticed.
    sync_interval_minutes: int = Field(default=0, ge=0, le=525_600)
