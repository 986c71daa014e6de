"""The index on disk, in one package: its format and the code that writes, reads, checks and prunes it.

    layout.py          the format version, the file names, text hashes (the directory's layout is there)
    manifest.py        the manifest: what a generation was built with and from
    passages_table.py  the layout of passages.sqlite
    lexical_file.py    the layout of lexical.npz
    writer.py          save_index: a new generation, atomically
    reader.py          load_index and IndexStore: a verified generation, read-only
    checks.py          checksums, and the manifest's agreement with its data
    pruning.py         dropping generations no process reads any more

The rest of the code imports from here, not from the modules.
"""

from bot.core.store.layout import (
    CURRENT_FILE,
    DATA_FILES,
    EMBEDDINGS_FILE,
    FAISS_FILE,
    FORMAT_VERSION,
    LEXICAL_FILE,
    MANIFEST_FILE,
    PASSAGES_FILE,
    RERANK_FILE,
    SENTENCES_FILE,
    VIEWS_FILE,
    text_hash,
)
from bot.core.store.manifest import ArticleEntry, Manifest, new_manifest, read_manifest
from bot.core.store.pruning import prune_generations
from bot.core.store.reader import IndexStore, current_generation, load_index, refuse_current_folder
from bot.core.store.writer import EmbeddedViews, save_index

__all__ = [
    "CURRENT_FILE",
    "DATA_FILES",
    "EMBEDDINGS_FILE",
    "FAISS_FILE",
    "FORMAT_VERSION",
    "LEXICAL_FILE",
    "MANIFEST_FILE",
    "PASSAGES_FILE",
    "RERANK_FILE",
    "SENTENCES_FILE",
    "VIEWS_FILE",
    "ArticleEntry",
    "IndexStore",
    "Manifest",
    "EmbeddedViews",
    "current_generation",
    "load_index",
    "new_manifest",
    "prune_generations",
    "read_manifest",
    "refuse_current_folder",
    "save_index",
    "text_hash",
]
