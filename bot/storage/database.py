"""The Storage object: one SQLite connection, guarded by a lock so worker threads can share it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import DatabaseUnusable
from bot.storage.guilds import GuildRecords
from bot.storage.schema import migrate

DAY = 86_400.0
TOP_UNANSWERED = 5


@dataclass(frozen=True)
class Stats:
    since: float | None
    asked: int
    answered: int
    upvotes: int
    downvotes: int
    top_unanswered: tuple[tuple[str, int], ...]

    @property
    def answered_share(self) -> float:
        return self.answered / self.asked if self.asked else 0.0


@dataclass(frozen=True)
class AuditEntry:
    actor_hash: str
    actor_name: str
    guild_id: int | None
    action: str
    args: dict
    result: str
    created_at: float


class Storage(GuildRecords):
    """Question log, feedback votes and moderator audit trail in one SQLite file.

    User ids are stored only as sha256(salt + id), so the file alone does not say who asked what.
    """

    def __init__(
        self, path: Path, salt: str, retention_days: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self.retention_days = retention_days
        self._salt = salt
        self._clock = clock
        self._lock = threading.Lock()
        self._db = self._open(path)
        self._db.execute(
            "PRAGMA secure_delete=ON"
        )  # purged questions and erased names leave no trace in the file
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL keeps it crash-safe; FULL is slow under load
        self.version = migrate(self._db)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        """The database in WAL mode; a folder, a text file or a file SQLite may not open is refused here,
        at the first read, before anything is written."""
        db = None
        try:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: transactions are explicit (the migrations need that).
            db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.Error) as error:
            if db is not None:
                db.close()
            raise DatabaseUnusable(path, str(error)) from None
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def hash_user(self, user_id: int) -> str:
        return hashlib.sha256(f"{self._salt}{user_id}".encode()).hexdigest()

    def _write(self, sql: str, params: tuple) -> int:
        with self._lock:
            cursor = self._db.execute(sql, params)
            return int(cursor.lastrowid or 0)

    # -- question log -------------------------------------------------------------------------
    def log_question(
        self,
        question: str,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        answered: bool,
        confidence: float,
        top_source: str | None,
    ) -> int:
        """Record one asked question; returns its id (the answer's buttons carry it)."""
        return self._write(
            "INSERT INTO questions (question, user_hash, guild_id, channel_id, answered, confidence,"
            " top_source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                question,
                self.hash_user(user_id),
                guild_id,
                channel_id,
                int(answered),
                confidence,
                top_source,
                self._clock(),
            ),
        )

    def question(self, question_id: int) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT question FROM questions WHERE id = ?", (question_id,)).fetchone()
        return row[0] if row else None

    def purge(self) -> int:
        """Forget questions (and votes) older than the retention period; returns how many questions."""
        cutoff = self._clock() - self.retention_days * DAY
        with self._lock:
            self._db.execute("BEGIN")
            deleted = self._db.execute("DELETE FROM questions WHERE created_at < ?", (cutoff,)).rowcount
            self._db.execute("DELETE FROM votes WHERE created_at < ?", (cutoff,))
            self._db.execute("COMMIT")
        return deleted

    # -- feedback -----------------------------------------------------------------------------
    def vote(
        self,
        message_id: int,
        user_id: int,
        vote: int,
        question_id: int | None = None,
        guild_id: int | None = None,
    ) -> int | None:
        """Record a 👍 (1) or 👎 (-1) cast in `guild_id`; one per user and answer, a new vote replaces
        the old one.

        Returns the previous vote (None when this is the user's first), so the bot can say "changed".
        """
        if vote not in (-1, 1):
            raise ValueError(f"vote must be 1 or -1, not {vote!r}")
        user_hash = self.hash_user(user_id)
        with self._lock:
            self._db.execute("BEGIN")
            row = self._db.execute(
                "SELECT vote FROM votes WHERE message_id = ? AND user_hash = ?", (message_id, user_hash)
            ).fetchone()
            self._db.execute(
                "INSERT INTO votes (message_id, user_hash, question_id, vote, created_at, guild_id)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_id, user_hash)"
                " DO UPDATE SET vote = excluded.vote, created_at = excluded.created_at",
                (message_id, user_hash, question_id, vote, self._clock(), guild_id),
            )
            self._db.execute("COMMIT")
        return int(row[0]) if row else None

    def votes_for(self, message_id: int) -> tuple[int, int]:
        with self._lock:
            row = self._db.execute(
                "SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) FROM votes"
                " WHERE message_id = ?",
                (message_id,),
            ).fetchone()
        return int(row[0]), int(row[1])

    # -- audit --------------------------------------------------------------------------------
    def audit(
        self,
        actor_id: int,
        actor_name: str | None,
        guild_id: int | None,
        action: str,
        args: dict,
        result: str,
    ) -> int:
        """Record a moderator action. `actor_name` only where the operator opted in (None: not stored)."""
        return self._write(
            "INSERT INTO audit (actor_hash, actor_name, guild_id, action, args, result, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                self.hash_user(actor_id),
                actor_name or "",
                guild_id,
                action,
                json.dumps(args, sort_keys=True),
                result,
                self._clock(),
            ),
        )

    def audit_trail(self, limit: int = 50, guild_id: int | None = None) -> list[AuditEntry]:
        """The latest moderator actions, newest first; of one server when `guild_id` is given."""
        where, params = ("WHERE guild_id = ?", (guild_id, limit)) if guild_id is not None else ("", (limit,))
        with self._lock:
            rows = self._db.execute(
                "SELECT actor_hash, actor_name, guild_id, action, args, result, created_at FROM audit"
                f" {where} ORDER BY id DESC LIMIT ?",
                params,
            ).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]) for r in rows]

    # -- stats --------------------------------------------------------------------------------
    def stats(self, days: float | None, guild_id: int | None = None) -> Stats:
        """Questions, share answered, votes and the most frequent unanswered questions over `days`
        (None = everything kept). Unanswered questions are grouped case- and space-insensitively."""
        since = self._clock() - days * DAY if days else None
        where, params = "WHERE created_at >= ?", [since if since is not None else float("-inf")]
        if guild_id is not None:
            where += " AND guild_id = ?"
            params.append(guild_id)
        with self._lock:
            asked, answered = self._db.execute(
                f"SELECT COUNT(*), COALESCE(SUM(answered), 0) FROM questions {where}", params
            ).fetchone()
            up, down = self._db.execute(
                f"SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) FROM votes {where}", params
            ).fetchone()
            unanswered = self._db.execute(
                f"SELECT question FROM questions {where} AND answered = 0", params
            ).fetchall()
        return Stats(since, int(asked), int(answered), int(up), int(down), _most_frequent(unanswered))


def _most_frequent(rows: list[tuple[str]]) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    first_seen: dict[str, str] = {}
    for (question,) in rows:
        key = " ".join(question.casefold().split()).rstrip("?!. ")
        counts[key] = counts.get(key, 0) + 1
        first_seen.setdefault(key, question)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_UNANSWERED]
    return tuple((first_seen[key], count) for key, count in ranked)
