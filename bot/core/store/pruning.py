"""Deleting generations no process needs any more, and staging directories a killed build left."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from bot.core.store.layout import GENERATION_PREFIX, STAGING_PREFIX
from bot.core.store.reader import current_generation

STALE_STAGING_SECONDS = 3600  # older than any build: its writer is gone (a younger one may be running)


def prune_generations(index_dir: Path, keep: set[str | None]) -> None:
    """Drop every generation but those in `keep` (the new one and the one it replaced, which other
    processes may still be reading) and abandoned staging directories.

    `keep` is named, not counted: a build killed between renaming its generation into place and
    moving CURRENT leaves an orphan newer than CURRENT, and "the two newest" would keep that orphan
    and delete the generation readers are using.
    """
    keep = keep | {current_generation(index_dir)}
    for old in index_dir.glob(f"{GENERATION_PREFIX}*"):
        if old.is_dir() and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for staging in index_dir.glob(f"{STAGING_PREFIX}{GENERATION_PREFIX}*"):
        if time.time() - staging.stat().st_mtime > STALE_STAGING_SECONDS:
            shutil.rmtree(staging, ignore_errors=True)
