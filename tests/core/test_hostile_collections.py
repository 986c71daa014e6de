"""Planted links and odd ids in the servers' collections folder: nothing outside a collection is ever
read, indexed or deleted through them (real files, real FAISS, the hashing stand-in for the model)."""

from __future__ import annotations

import pytest

from bot.core.collection_folders import (
    collection_dirs,
    collection_folder,
    delete_collection,
    describe_collections,
)
from bot.core.store import CURRENT_FILE
from bot.errors import CollectionLinked
from tests.core.test_collections import WOMBAT, collections  # noqa: F401 (the fixture)

GUILD = 333


def test_a_linked_knowledge_folder_is_never_read(collections, tmp_path):  # noqa: F811
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "token.md").write_text("# Token\n\nThe deploy token is hunter2, kept out of every answer.\n")
    folder = collections.root / str(GUILD)
    folder.mkdir(parents=True)
    (folder / "knowledge").symlink_to(secret)
    with pytest.raises(CollectionLinked, match="its knowledge folder is a symbolic link"):
        collections.reindex(GUILD)
    with pytest.raises(CollectionLinked):
        collections.add(GUILD, "wombat.md", WOMBAT, limit=100_000, replace=False)
    assert sorted(p.name for p in secret.iterdir()) == ["token.md"]  # nothing written there either


def test_a_linked_collection_folder_is_never_read(collections, tmp_path):  # noqa: F811
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "knowledge").mkdir(parents=True)
    (elsewhere / "knowledge" / "token.md").write_text("# Token\n\nThe deploy token is hunter2.\n")
    collections.root.mkdir(parents=True)
    (collections.root / str(GUILD)).symlink_to(elsewhere)
    with pytest.raises(CollectionLinked, match="its folder is a symbolic link"):
        collections.reindex(GUILD)
    assert describe_collections(collections.root) == []


def test_deleting_a_collection_whose_index_links_to_the_base_leaves_the_base_alone(
    collections,  # noqa: F811
):
    base_index = collections.base.index_dir
    assert (base_index / CURRENT_FILE).is_file()
    folder = collections.root / str(GUILD)
    folder.mkdir(parents=True)
    (folder / "index").symlink_to(base_index)
    assert [info.guild_id for info in describe_collections(collections.root)] == [GUILD]
    assert delete_collection(collections.root, GUILD)
    assert not folder.exists()
    assert (base_index / CURRENT_FILE).is_file()  # the base is still served


def test_deleting_a_linked_collection_folder_removes_only_the_link(collections, tmp_path):  # noqa: F811
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.md").write_text("# Keep\n\nNot the bot's to delete.\n")
    collections.root.mkdir(parents=True)
    (collections.root / str(GUILD)).symlink_to(elsewhere)
    assert delete_collection(collections.root, GUILD)
    assert not (collections.root / str(GUILD)).is_symlink()
    assert (elsewhere / "keep.md").is_file()


@pytest.mark.parametrize("guild_id", [0, -5, 2**63, True])
def test_an_id_that_is_no_discord_id_names_no_folder(tmp_path, guild_id):
    with pytest.raises(ValueError, match="not a Discord server id"):
        collection_folder(tmp_path, guild_id)


def test_only_folders_named_by_an_ids_own_digits_are_listed(tmp_path):
    for name in ("123", "0123", "0", "-5", "abc"):
        (tmp_path / name / "knowledge").mkdir(parents=True)
    assert [info.guild_id for info in describe_collections(tmp_path)] == [123]
    assert collection_dirs(tmp_path, 123)[0] == tmp_path / "123" / "knowledge"
