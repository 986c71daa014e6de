"""Settings: built explicitly, parsed from the environment, and `.env.example` kept in step."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import CoreSettings, DiscordSettings, SourcesSettings

EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def env_names(settings_class) -> set[str]:
    prefix = settings_class.model_config.get("env_prefix", "")
    names = set()
    for name, field in settings_class.model_fields.items():
        alias = field.validation_alias
        names.add(alias if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


def test_env_example_lists_every_setting_and_nothing_else():
    listed = set(re.findall(r"^([A-Z_]+)=", EXAMPLE.read_text(), re.M))
    assert listed == env_names(CoreSettings) | env_names(DiscordSettings) | env_names(SourcesSettings)


def test_every_example_setting_has_a_comment_above_it():
    lines = EXAMPLE.read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line):
            above = lines[number - 1]
            assert above.startswith("#") or re.match(r"^[A-Z_]+=", above), line


def test_example_values_parse(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(EXAMPLE.read_text())
    assert CoreSettings().threshold == 0.44
    assert DiscordSettings().discord_token is None and DiscordSettings().dev_guild_id is None


def test_id_lists_parse_from_comma_separated_env(monkeypatch):
    monkeypatch.setenv("QABOT_MODERATOR_ROLE_IDS", "1, 2,3")
    monkeypatch.setenv("QABOT_HELP_CHANNEL_IDS", "")
    monkeypatch.setenv("DISCORD_TOKEN", "secret-token")
    settings = DiscordSettings(_env_file=None)
    assert settings.moderator_role_ids == [1, 2, 3] and settings.help_channel_ids == []
    assert "secret-token" not in repr(settings)


def test_bad_values_are_rejected(monkeypatch):
    monkeypatch.setenv("QABOT_THRESHOLD", "2")
    with pytest.raises(ValidationError):
        CoreSettings(_env_file=None)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QABOT_THRESHOLD", "nan"),
        ("QABOT_THRESHOLD", "-1"),
        ("QABOT_TOP_K", "0"),
        ("QABOT_BACKEND", "x"),
        ("QABOT_MAX_SERVER_ARTICLES", "0"),  # no switch for server collections: see settings.py
        ("QABOT_MAX_SERVER_MB", "0"),
    ],
)
def test_load_settings_turns_a_bad_value_into_a_settings_error_naming_the_variable(monkeypatch, name, value):
    from bot.errors import SettingsError
    from bot.settings import load_settings

    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(CoreSettings, _env_file=None)
    assert raised.value.name == name and raised.value.value == value and "\n" not in str(raised.value)


def test_a_bad_token_value_is_named_but_never_shown(monkeypatch):
    from bot.errors import SettingsError
    from bot.settings import load_settings

    with pytest.raises(SettingsError) as raised:
        load_settings(DiscordSettings, _env_file=None, discord_token=["not", "a", "string"])
    assert raised.value.name == "DISCORD_TOKEN" and raised.value.value is None
