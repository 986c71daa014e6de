"""A bot's working folder for command-line tests: a base of two shipped articles, the index and the data
folder in tmp_path, the model replaced by the one given."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot import wiring

WOMBAT = (
    b"---\ntitle: Wombat\n---\n\n## Digging with Wombat\n\nWombat digs burrows with the shovel optimiser.\n"
)
SHIPPED = Path(__file__).parents[2] / "knowledge"


def prepare_home(tmp_path: Path, monkeypatch, embedder, extra_env: dict[str, object] | None = None) -> Path:
    """tmp_path as the working folder, with QABOT_* pointing into it (plus `extra_env`)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(wiring, "open_embedder", lambda settings: embedder)
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for name in ("jax.md", "keras.md"):
        shutil.copy(SHIPPED / name, knowledge / name)
    env = {
        "QABOT_KNOWLEDGE_DIR": knowledge,
        "QABOT_INDEX_DIR": tmp_path / "index",
        "QABOT_DATABASE_PATH": tmp_path / "data" / "qabot.sqlite3",
        **(extra_env or {}),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    return tmp_path
