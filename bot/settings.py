"""Settings, read from the environment or `.env`.

Instances are built in entry points (CLI, bot start-up) and passed down, never at import time, so tests
build their own and CI needs no token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def _split_ids(value: object) -> object:
    """Accept `1,2,3` (and blanks) from the environment as well as real lists."""
    if isinstance(value, str):
        return [int(part) for part in value.replace(" ", "").split(",") if part]
    return value


class CoreSettings(BaseSettings):
    """Where the knowledge lives, how it is embedded and when the bot answers."""

    model_config = SettingsConfigDict(
        env_prefix="QABOT_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    knowledge_dir: Path = Path("knowledge")
    index_dir: Path = Path("index")
    model: str = DEFAULT_MODEL
    model_cache_dir: Path = Path("index/models")
    backend: Literal["auto", "torch", "onnx", "onnx-int8"] = "auto"
    threshold: float = Field(default=0.48, ge=0.0, le=1.0)
    top_k: int = Field(default=5, ge=1, le=50)
    max_question_chars: int = Field(default=4000, ge=10)
    # Chunking is roughly linear in size but slow per byte (a 50 MB file took 4 minutes); real articles
    # are a few KB, so 2 MB only stops mistakes (a log or a dump saved as .md) and attacks.
    max_article_bytes: int = Field(default=2_000_000, ge=1024)


class DiscordSettings(BaseSettings):
    """How the bot reaches Discord and who may do what there."""

    model_config = SettingsConfigDict(
        env_prefix="QABOT_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    dev_guild_id: int | None = None
    moderator_role_ids: Annotated[list[int], NoDecode] = []
    help_channel_ids: Annotated[list[int], NoDecode] = []
    cooldown_rate: int = Field(default=5, ge=1)
    cooldown_seconds: float = Field(default=60.0, gt=0)
    database_path: Path = Path("data/qabot.sqlite3")
    user_id_salt: SecretStr = SecretStr("change-me")
    retention_days: int = Field(default=90, ge=1)
    max_upload_bytes: int = Field(default=512_000, ge=1024)
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: Annotated[list[int], NoDecode] = []
    index_poll_seconds: float = Field(default=5.0, gt=0)

    @field_validator("moderator_role_ids", "help_channel_ids", "shard_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split_ids(value)
