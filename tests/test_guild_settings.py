"""Per-server settings: a server's value > the environment > the built-in default, and bad values refused."""

from __future__ import annotations

import pytest

from bot.errors import SettingRefused
from bot.guild_settings import SETTINGS, parse_setting, resolve, shown
from bot.settings import CoreSettings, DiscordSettings


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env
    for name in (
        "QABOT_THRESHOLD",
        "QABOT_COOLDOWN_RATE",
        "QABOT_MODERATOR_ROLE_IDS",
        "QABOT_PRIVATE_ANSWERS",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def settings_in_force(stored: dict[str, str]):
    return resolve(stored, frozenset(), CoreSettings(), DiscordSettings())


def test_built_in_defaults_apply_without_environment_or_server_values(clean_env):
    settings = settings_in_force({})
    assert (settings.threshold, settings.cooldown_rate, settings.use_base) == (0.44, 5, True)
    assert settings.moderator_role_ids == frozenset() and settings.changed == frozenset()


def test_the_environment_overrides_the_default_and_a_server_overrides_the_environment(clean_env):
    clean_env.setenv("QABOT_THRESHOLD", "0.6")
    clean_env.setenv("QABOT_MODERATOR_ROLE_IDS", "11111,22222")
    from_env = settings_in_force({})
    assert from_env.threshold == 0.6 and from_env.moderator_role_ids == {11111, 22222}
    server = settings_in_force({"threshold": "0.3", "moderator-roles": "33333"})
    assert server.threshold == 0.3 and server.moderator_role_ids == {33333}
    assert server.cooldown_rate == 5 and server.changed == {"threshold", "moderator-roles"}


def test_a_stored_value_that_no_longer_parses_falls_back_to_the_default(clean_env):
    assert settings_in_force({"threshold": "lots", "no-such-setting": "1"}).threshold == 0.44


@pytest.mark.parametrize(
    ("name", "given", "stored"),
    [
        (
            "moderator-roles",
            "<@&123456789012345678> 234567890123456789",
            "123456789012345678,234567890123456789",
        ),
        ("help-channels", "<#123456789012345678>", "123456789012345678"),
        ("help-channels", "none", ""),
        ("threshold", " 0.5 ", "0.5"),
        ("cooldown-rate", "3", "3"),
        ("private-answers", "Yes", "on"),
        ("use-base", "off", "off"),
    ],
)
def test_values_are_checked_and_stored_in_one_form(name, given, stored):
    assert parse_setting(name, given) == stored


@pytest.mark.parametrize(
    ("name", "given", "reason"),
    [
        ("threshold", "2", "from 0 to 1"),
        ("threshold", "nan", "from 0 to 1"),
        ("cooldown-rate", "2.5", "whole number"),
        ("use-base", "maybe", "on or off"),
        ("moderator-roles", "@everyone", "mentions or ids"),
        ("colour", "red", "no such setting"),
    ],
)
def test_bad_values_are_refused_with_a_reason(name, given, reason):
    with pytest.raises(SettingRefused, match=reason):
        parse_setting(name, given)


def test_show_writes_every_setting(clean_env):
    settings = settings_in_force({"help-channels": "5555555,4444444", "use-base": "off"})
    assert shown(settings, "help-channels") == "4444444, 5555555" and shown(settings, "use-base") == "off"
    assert {name: shown(settings, name) for name in SETTINGS}["threshold"] == "0.44"


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("123456789012345678901234567890", "is not a Discord id"),  # was read as two ids
        ("99999999999999999999", "is not a Discord id"),  # 20 digits, past 64 bits
        ("1234", "is not a Discord id"),
        (" ".join(str(10**17 + n) for n in range(51)), "51 roles or channels; the limit is 50"),
        (" ".join(str(10**17 + n) for n in range(2000)), "2,000 roles or channels; the limit is 50"),
    ],
)
def test_ids_that_are_no_discord_ids_or_too_many_are_refused(given, reason):
    with pytest.raises(SettingRefused, match=reason):
        parse_setting("moderator-roles", given)


def test_fifty_ids_and_leading_zeros_are_accepted_in_one_form():
    fifty = [str(10**17 + n) for n in range(50)]
    assert parse_setting("help-channels", " ".join(fifty) + " " + fifty[0]) == ",".join(fifty)
    assert parse_setting("help-channels", "000123456") == "123456"


def test_config_show_fits_one_discord_message_whatever_a_server_stored(clean_env):
    from bot.discord_adapter.cogs.config import settings_text
    from bot.discord_adapter.render import CONTENT_LIMIT

    ids = ",".join(str(10**18 + n) for n in range(50))
    hidden = frozenset(f"guides/a-long-folder-name/article-number-{n}.md" for n in range(500))
    settings = resolve(
        {"moderator-roles": ids, "help-channels": ids}, hidden, CoreSettings(), DiscordSettings()
    )
    text = settings_text(settings)
    assert len(f"`help-channels` set.\n{text}") <= CONTENT_LIMIT
    assert "`moderator-roles` = 1000000000000000000, " in text


def test_a_server_can_make_its_cooldown_stricter_but_never_looser_than_the_operators(clean_env):
    # The environment's 5 per 60 s is the loosest: one server's 1,000 a second would starve the others.
    loose = settings_in_force({"cooldown-rate": "1000", "cooldown-seconds": "1"})
    assert (loose.cooldown_rate, loose.cooldown_seconds) == (5, 60.0)
    strict = settings_in_force({"cooldown-rate": "2", "cooldown-seconds": "600"})
    assert (strict.cooldown_rate, strict.cooldown_seconds) == (2, 600.0)
    fewer = settings_in_force({"cooldown-rate": "1", "cooldown-seconds": "1"})
    assert (fewer.cooldown_rate, fewer.cooldown_seconds) == (1, 12.0)  # the operator's average pace


def test_a_looser_cooldown_is_refused_with_the_operators_limit(clean_env):
    from bot.guild_settings import check_in_server

    operator = settings_in_force({})
    with pytest.raises(SettingRefused, match="at most 5, the operator's limit"):
        check_in_server("cooldown-rate", parse_setting("cooldown-rate", "1000"), 77777, operator, operator)
    with pytest.raises(SettingRefused, match="at least 60 with 5 questions a period"):
        check_in_server("cooldown-seconds", parse_setting("cooldown-seconds", "1"), 77777, operator, operator)
    check_in_server("cooldown-rate", "3", 77777, operator, operator)
    check_in_server("cooldown-seconds", "600", 77777, operator, operator)


def test_everyone_can_not_be_made_a_moderator_role(clean_env):
    from bot.guild_settings import check_in_server

    operator = settings_in_force({})
    stored = parse_setting("moderator-roles", "<@&123456789012345678> <@&77777>")  # @everyone is <@&guild id>
    with pytest.raises(SettingRefused, match="@everyone can't be a moderator role"):
        check_in_server("moderator-roles", stored, 77777, operator, operator)
    check_in_server("moderator-roles", "123456789012345678", 77777, operator, operator)
    check_in_server("help-channels", "77777", 77777, operator, operator)  # a channel may share the id
