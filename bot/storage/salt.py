"""The salt for hashing user ids: the configured one, or a random one generated once and kept.

A known salt (the old default "change-me") lets anyone holding the database recover user ids by hashing
candidate snowflakes, so the placeholder is never used. The generated salt is kept beside the database in
a dot-file (mode 0600): dot-files are never indexed as articles, and the same salt keeps one vote per user
across restarts. The salt itself is never logged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

from bot.errors import SettingsError

log = logging.getLogger(__name__)

PLACEHOLDERS = frozenset({"", "change-me"})
SALT_FILE = ".user-id-salt"
SETTING = "QABOT_USER_ID_SALT"


def user_id_salt(configured: str | None, data_dir: Path) -> str:
    """The salt to use, logging once (without the value) whether it was configured, kept or generated."""
    if configured is not None and configured.strip() not in PLACEHOLDERS:
        log.info("hashing user ids with the salt set in %s", SETTING)
        return configured
    if configured is not None:
        log.warning("%s is the placeholder from .env.example; ignoring it", SETTING)
    path = data_dir / SALT_FILE
    try:
        salt = _read(path)
        if salt is None:
            salt = _create(path)
            log.warning(
                "%s is not set: generated a random salt and saved it in %s (keep that file)", SETTING, path
            )
        else:
            log.info("%s is not set: hashing user ids with the salt saved in %s", SETTING, path)
    except OSError as error:
        raise SettingsError(
            SETTING, f"it is not set and {path} can't be read or created ({error.strerror or error})"
        ) from None
    return salt


def _read(path: Path) -> str | None:
    try:
        salt = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, ValueError):
        salt = ""
    if len(salt) < 32:
        raise OSError(f"{path} is damaged; set {SETTING} or delete the file (stored user hashes then change)")
    return salt


def _create(path: Path) -> str:
    """Write a new salt; os.link makes it appear whole or not at all, and a second process starting at
    the same moment reads the winner's salt instead of writing its own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    salt = secrets.token_hex(32)
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(salt + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read(path) or salt
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return salt
