"""`git` run on one bare clone: a fixed, safe environment, and bounds on what a run may write or list.

A repository is untrusted input: one commit may hold gigabytes, or a tree of millions of files. So a
fetch is watched while it runs and stopped (and what it wrote removed) past a byte cap, and a listing is
read as git writes it, so its reader can stop at a bound instead of holding all of it in memory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO

from bot.core.quota import MB
from bot.errors import SyncFailed

# How often a running fetch's writes are measured: the cap can be passed by what arrives in that time.
POLL_SECONDS = 0.2
CHUNK_BYTES = 64 * 1024  # a listing is read this much at a time
# No path git lists is this long (Linux allows 4,096 bytes); a longer record is a hostile tree.
MAX_RECORD_BYTES = 16 * 1024


class Git:
    """`git` run on one bare clone with a fixed, safe environment."""

    def __init__(self, clone: Path, local: bool, timeout: float, options: tuple[str, ...] = ()) -> None:
        self.clone = clone
        self.timeout = timeout
        self.options = options  # extra `-c` settings, e.g. the pinned address
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(clone.parent),  # no user config
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ALLOW_PROTOCOL": "file" if local else "http:https",
            "LC_ALL": "C",
        }

    def command(self, args: tuple[str, ...]) -> list[str]:
        return [
            "git",
            "-c",
            "http.followRedirects=false",
            "-c",
            "core.hooksPath=/dev/null",
            *self.options,
            *args,
        ]

    def run(self, *args: str, name: str) -> bytes:
        try:
            done = subprocess.run(
                self.command(args),
                cwd=self.clone,
                env=self.env,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SyncFailed(name, f"git {args[0]} took longer than {self.timeout:.0f} s") from None
        except FileNotFoundError:
            raise SyncFailed(name, "git is not installed") from None
        _check(done.returncode, done.stderr, args[0], name)
        return done.stdout

    def fetch(self, *args: str, name: str, max_bytes: int) -> None:
        """`git fetch ...`, stopped once the clone's objects grow by more than `max_bytes`; what a stopped
        fetch wrote is removed, so the disk is given back and the clone stays as it was."""
        before = CloneSnapshot(self.clone)
        limit = before.objects_bytes + max_bytes
        # Always keep the pack as it arrives (index-pack streams it to objects/pack/tmp_pack_*), never
        # unpack-objects, which inflates each object in memory.
        args = ("-c", "fetch.unpackLimit=1", "fetch", *args)
        with tempfile.TemporaryFile() as errors:
            process = self._start(args, subprocess.DEVNULL, errors, name)
            stopped = self._wait_within(process, errors, limit, max_bytes)
            if stopped is None and self._written(errors) > limit:  # it ended between two looks
                stopped = too_large(max_bytes)
            if stopped is not None or process.returncode != 0:
                before.restore()  # git, stopped or failing, leaves its temporary pack and locks behind
            if stopped is not None:
                raise SyncFailed(name, stopped)
            errors.seek(0)
            _check(process.returncode, errors.read(), "fetch", name)

    def records(self, *args: str, name: str) -> Generator[bytes, None, None]:
        """git's NUL-terminated records (`-z`), read as git writes them; closing the iterator stops git."""
        with tempfile.TemporaryFile() as errors:
            process = self._start(args, subprocess.PIPE, errors, name)
            expired = threading.Event()

            def expire() -> None:
                expired.set()
                _stop(process)

            timer = threading.Timer(self.timeout, expire)
            timer.start()
            try:
                yield from _split_records(process.stdout, name)
            finally:
                timer.cancel()
                _stop(process)
                assert process.stdout is not None
                process.stdout.close()
            if expired.is_set():
                raise SyncFailed(name, f"git {args[0]} took longer than {self.timeout:.0f} s")
            errors.seek(0)
            _check(process.returncode, errors.read(), args[0], name)

    def _start(
        self, args: tuple[str, ...], stdout: int, errors: IO[bytes], name: str
    ) -> subprocess.Popen[bytes]:
        try:
            # Its own process group, so that stopping it stops the helpers it started (index-pack, the
            # http transport), which would otherwise go on writing.
            return subprocess.Popen(
                self.command(args),
                cwd=self.clone,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=errors,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise SyncFailed(name, "git is not installed") from None

    def _wait_within(
        self, process: subprocess.Popen[bytes], errors: IO[bytes], limit: int, max_bytes: int
    ) -> str | None:
        """Wait for git to end; returns why it was stopped, or None when it ended by itself."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                process.wait(timeout=POLL_SECONDS)
                return None
            except subprocess.TimeoutExpired:
                pass
            if self._written(errors) > limit:
                _stop(process)
                return too_large(max_bytes)
            if time.monotonic() > deadline:
                _stop(process)
                return f"git fetch took longer than {self.timeout:.0f} s"

    def _written(self, errors: IO[bytes]) -> int:
        """The clone's object bytes and git's messages: a server can make git print without end."""
        return objects_bytes(self.clone) + os.fstat(errors.fileno()).st_size


class CloneSnapshot:
    """The clone's files before a fetch, to put it back as it was when the fetch is stopped."""

    def __init__(self, clone: Path) -> None:
        self.clone = clone
        self.files = set(_files(clone))
        self.objects_bytes = objects_bytes(clone)
        shallow = clone / "shallow"  # rewritten by a fetch that ends; it names the commits fetched
        self.shallow = shallow.read_bytes() if shallow.is_file() else None

    def restore(self) -> None:
        """Remove every file the fetch wrote (temporary and finished packs, loose objects, locks such as
        shallow.lock that would block the next fetch) and put `shallow` back."""
        for path in set(_files(self.clone)) - self.files:
            path.unlink(missing_ok=True)
        shallow = self.clone / "shallow"
        if self.shallow is None:
            shallow.unlink(missing_ok=True)
        else:
            shallow.write_bytes(self.shallow)


def objects_bytes(clone: Path) -> int:
    """The bytes in the clone's object store, temporary packs included."""
    total = 0
    for path in _files(clone / "objects"):
        with contextlib.suppress(FileNotFoundError):  # renamed or removed by git meanwhile
            total += path.lstat().st_size
    return total


def too_large(max_bytes: int) -> str:
    size = f"{max_bytes // MB:,} MB" if max_bytes >= MB else f"{max_bytes:,} bytes"
    return f"the repository is larger than {size} (QABOT_SOURCES_MAX_REPO_MB); its fetch was stopped"


def _files(folder: Path) -> Iterator[Path]:
    for root, _, names in os.walk(folder):
        for file_name in names:
            yield Path(root, file_name)


def _split_records(stream: IO[bytes] | None, name: str) -> Iterator[bytes]:
    assert stream is not None
    pending = b""
    while chunk := stream.read(CHUNK_BYTES):
        *records, pending = (pending + chunk).split(b"\0")
        yield from records
        if len(pending) > MAX_RECORD_BYTES:
            raise SyncFailed(name, f"the repository lists a path longer than {MAX_RECORD_BYTES:,} bytes")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _check(returncode: int, stderr: bytes, command: str, name: str) -> None:
    if returncode != 0:
        message = " ".join(stderr.decode("utf-8", "replace").split())[:300]
        raise SyncFailed(name, f"git {command} failed: {message or returncode}")
