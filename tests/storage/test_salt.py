"""The user-id salt: configured, or generated once into the data folder (0600), never the placeholder."""

import logging
import stat

import pytest

from bot.errors import SettingsError
from bot.storage.salt import SALT_FILE, user_id_salt


def test_a_configured_salt_is_used_as_is(tmp_path):
    assert user_id_salt("a-long-operator-chosen-salt", tmp_path) == "a-long-operator-chosen-salt"
    assert not (tmp_path / SALT_FILE).exists()


@pytest.mark.parametrize("configured", [None, "change-me", "  "])
def test_without_a_real_salt_one_is_generated_once_kept_private_and_not_logged(tmp_path, caplog, configured):
    caplog.set_level(logging.DEBUG)
    first = user_id_salt(configured, tmp_path / "data")
    second = user_id_salt(configured, tmp_path / "data")
    path = tmp_path / "data" / SALT_FILE
    assert first == second == path.read_text().strip() and len(first) == 64 and first != "change-me"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first not in caplog.text and "generated a random salt" in caplog.text
    assert [p.name for p in path.parent.iterdir()] == [SALT_FILE]  # no temporary file left


def test_a_damaged_salt_file_is_one_line_naming_the_setting(tmp_path):
    (tmp_path / SALT_FILE).write_text("short")
    with pytest.raises(SettingsError, match="QABOT_USER_ID_SALT.*is damaged"):
        user_id_salt(None, tmp_path)


def test_a_data_folder_that_cannot_be_created_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SettingsError, match="QABOT_USER_ID_SALT.*can't be read or created"):
        user_id_salt(None, tmp_path / "file" / "data")
