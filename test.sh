#!/usr/bin/env bash
# Set up and run the whole test suite (unit, core with real FAISS, the real model, CLI, and the bot
# end to end against the local Discord emulator), plus the lint, import-contract and type checks.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/setup.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1
ruff check bot tests
lint-imports
mypy bot/core  # strict there (see pyproject.toml); the rest of bot/ is not yet clean
python -m pytest -q "$@"
