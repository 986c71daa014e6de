"""Small file-system helpers the core shares: atomic writes, fsync, checksums, locks, the core count.

Each existed two or three times with small differences (one fsynced, one did not; one hashed with a
1 MiB buffer, one with another); one copy means one behaviour to reason about when a crash or a full
disk hits.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

HASH_BLOCK = 1 << 20  # read files in 1 MiB blocks: large model files never sit in memory whole


def fsync_path(path: Path) -> None:
    """Flush a file, or a directory's entries (a rename is durable only once its directory is synced)."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomically(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` so that readers see the old content or the new, never half of it,
    even after a crash. Text is written as UTF-8.

    The temporary file starts with a dot and ends in `.tmp`, so a reader listing the folder meanwhile
    (a reindex looking for `*.md`) passes over it; it is removed when the write fails.
    """
    payload = data.encode() if isinstance(data, str) else data
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    fsync_path(path.parent)


class _Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...


def hash_file(digest: _Digest, path: Path) -> None:
    """Feed a file's bytes into `digest` (a hashlib object), block by block."""
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(HASH_BLOCK), b""):
            digest.update(block)


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's content."""
    digest = hashlib.sha256()
    hash_file(digest, path)
    return digest.hexdigest()


@contextlib.contextmanager
def file_lock(path: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) across threads and processes.

    With `wait=False` a lock held elsewhere raises BlockingIOError at once instead of waiting. The
    lock goes with the process, so a killed holder never leaves it stuck.
    """
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cpu_cores() -> int:
    """The cores this process may run on (fewer than the machine has in a container or under taskset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not every platform has affinity
        return os.cpu_count() or 1
