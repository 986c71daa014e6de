"""SQLite storage for the bot: question log, feedback votes and the moderator audit trail.

Synchronous on purpose (sqlite3 is); the bot calls it with `asyncio.to_thread`. Never imports discord.
"""

from bot.storage.database import AuditEntry, Stats, Storage
from bot.storage.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["Storage", "Stats", "AuditEntry", "MIGRATIONS", "SCHEMA_VERSION"]
