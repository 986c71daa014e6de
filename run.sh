#!/usr/bin/env bash
# Set up, build the index of knowledge/, answer a sample question, then start the Discord bot when a
# token is configured (otherwise say how to chat with the knowledge base offline).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/setup.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1
qabot index || [ $? -eq 3 ]   # 3: built, but some articles were skipped (listed above)
qabot ask "${1:-What is the difference between PyTorch and TensorFlow?}"
if [ -n "${DISCORD_TOKEN:-}" ] || grep -qs '^DISCORD_TOKEN=.\+' .env; then
    exec qabot run
fi
echo
echo "No DISCORD_TOKEN set, so the bot was not started. Ask more with: .venv/bin/qabot chat"
