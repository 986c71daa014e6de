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


def test_deleting_a_collection_whose_current_is_a_folder_deletes_it_all(tmp_path):
    folder = tmp_path / str(GUILD)
    (folder / "index" / CURRENT_FILE).mkdir(parents=True)  # damaged: see the README's bad-input table
    (folder / "knowledge").mkdir()
    assert delete_collection(tmp_path, GUILD)
    assert not folder.exists()


def test_a_server_whose_data_cant_be_deleted_never_stops_the_others_being_forgotten(tmp_path):
    import functools

    from bot.guild_data import forget_expired
    from bot.storage import Storage

    now = [1_000_000.0]
    storage = Storage(tmp_path / "db.sqlite3", "salt-for-tests-0123456789", 30, clock=lambda: now[0])
    root = tmp_path / "collections"
    for guild_id in (111, 222, 333):
        (root / str(guild_id) / "knowledge").mkdir(parents=True)
        storage.set_guild_setting(guild_id, "threshold", "0.5")
        storage.guild_left(guild_id)
    now[0] += 31 * 86_400
    deleting = functools.partial(delete_collection, root)

    def delete(guild_id: int) -> bool:
        if guild_id == 222:  # as a disk error would
            raise PermissionError(13, "Permission denied", str(root / "222"))
        return deleting(guild_id)

    forgotten, failures = forget_expired(storage, delete)
    assert forgotten == [111, 333] and len(failures) == 1 and "server 222: [Errno 13]" in failures[0]
    assert storage.guild_settings(111) == {} and storage.guild_settings(333) == {}
    assert storage.guild_settings(222) == {"threshold": "0.5"} and storage.expired_guilds() == [222]
    storage.close()


@pytest.mark.parametrize("name", ["a\x00.md", "../jax.md", "/etc/passwd.md", "x" * 5000 + ".md"])
def test_removing_an_article_by_an_impossible_name_is_unknown_article(collections, name):  # noqa: F811
    from bot.errors import UnknownArticle

    collections.add(GUILD, "wombat.md", WOMBAT, limit=100_000, replace=False)
    with pytest.raises(UnknownArticle):
        collections.remove(GUILD, name)
    assert collections.exists(GUILD)
