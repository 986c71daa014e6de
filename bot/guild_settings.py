"""Per-server settings: what /config shows and changes, and how a server's value, the environment and
the default combine (a server's own value > the environment > the built-in default; the last two are
already folded together by pydantic-settings).

Values are stored as text (storage/guilds.py); each setting has a parser that checks a moderator's input
and returns the stored form, so a bad value is refused with a reason before anything is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

from bot.errors import SettingRefused
from bot.settings import CoreSettings, DiscordSettings

DIGITS = re.compile(r"\d+")  # bare ids and the digits of <@&role> and <#channel> mentions
MAX_ID = 2**63 - 1  # Discord ids are 64-bit snowflakes (and SQLite's integers signed 64-bit)
# A server has at most 250 roles; this many moderator roles or help channels is already a lot, and
# /config show must fit the list in one message (2,000 characters: 50 ids of 20 digits are 1,100).
MAX_IDS = 50
TRUE, FALSE = ("on", "true", "yes", "1"), ("off", "false", "no", "0")


@dataclass(frozen=True)
class GuildSettings:
    """One server's settings in force."""

    moderator_role_ids: frozenset[int]
    help_channel_ids: frozenset[int]
    threshold: float
    cooldown_rate: int
    cooldown_seconds: float
    private_answers: bool
    use_base: bool
    hidden_base: frozenset[str] = frozenset()
    changed: frozenset[str] = frozenset()  # the names set in this server (the rest are defaults)


def _ids(text: str) -> str:
    if text.strip().lower() in ("none", "-", ""):
        return ""
    found = DIGITS.findall(text)
    if not found or re.sub(r"[\s,<>@&#!\d]", "", text):
        raise ValueError("expected roles or channels (mentions or ids), or `none`")
    for digits in found:  # a 30-digit run is no id (it was read as two)
        if not 5 <= len(digits) <= 20 or int(digits) > MAX_ID:
            raise ValueError(f"{digits[:24]} is not a Discord id")
    unique = list(dict.fromkeys(str(int(digits)) for digits in found))
    if len(unique) > MAX_IDS:
        raise ValueError(f"{len(unique):,} roles or channels; the limit is {MAX_IDS}")
    return ",".join(unique)


def _number(low: float, high: float, integer: bool = False) -> Callable[[str], str]:
    def parse(text: str) -> str:
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError("expected a number") from None
        if not math.isfinite(value) or not low <= value <= high or (integer and value != int(value)):
            kind = "a whole number" if integer else "a number"
            raise ValueError(f"expected {kind} from {low:g} to {high:g}")
        return str(int(value)) if integer else repr(value)

    return parse


def _switch(text: str) -> str:
    word = text.strip().lower()
    if word in TRUE:
        return "on"
    if word in FALSE:
        return "off"
    raise ValueError("expected on or off")


@dataclass(frozen=True)
class Setting:
    field: str  # the GuildSettings field it sets
    parse: Callable[[str], str]
    meaning: str


SETTINGS: dict[str, Setting] = {
    "moderator-roles": Setting("moderator_role_ids", _ids, "roles whose members may use /kb and /config"),
    "help-channels": Setting("help_channel_ids", _ids, "channels and forums where every post is a question"),
    "threshold": Setting("threshold", _number(0.0, 1.0), "confidence (0-1) below which the bot declines"),
    "cooldown-rate": Setting(
        "cooldown_rate",
        _number(1, 1000, integer=True),
        "questions per user per period (never more than the operator allows)",
    ),
    "cooldown-seconds": Setting(
        "cooldown_seconds",
        _number(1, 86_400),
        "the cooldown period in seconds (never shorter than the operator's pace)",
    ),
    "private-answers": Setting("private_answers", _switch, "whether /ask answers only the asker by default"),
    "use-base": Setting("use_base", _switch, "whether answers also come from the operator's base collection"),
}


def parse_setting(name: str, text: str) -> str:
    """A moderator's value for setting `name`, checked, in its stored form; SettingRefused if unusable."""
    setting = SETTINGS.get(name)
    if setting is None:
        raise SettingRefused(name, f"there is no such setting; choose one of {', '.join(SETTINGS)}")
    try:
        return setting.parse(text)
    except ValueError as error:
        raise SettingRefused(name, f"{error} (got {text[:40]!r})") from None


def defaults(core: CoreSettings, discord: DiscordSettings) -> GuildSettings:
    """A server's settings before it changes any: the environment's (or the built-in defaults)."""
    return GuildSettings(
        moderator_role_ids=frozenset(discord.moderator_role_ids),
        help_channel_ids=frozenset(discord.help_channel_ids),
        threshold=core.threshold if not core.rerank_model else core.rerank_threshold,
        cooldown_rate=discord.cooldown_rate,
        cooldown_seconds=discord.cooldown_seconds,
        private_answers=discord.private_answers,
        use_base=True,
    )


def resolve(
    stored: Mapping[str, str], hidden: frozenset[str], core: CoreSettings, discord: DiscordSettings
) -> GuildSettings:
    """The settings in force in a server: its stored values over the defaults. A stored value that no
    longer parses (written by another version, say) is ignored, so the default applies."""
    values: dict[str, object] = {}
    for name, text in stored.items():
        setting = SETTINGS.get(name)
        if setting is None:
            continue
        try:
            values[setting.field] = _typed(setting.field, setting.parse(text))
        except ValueError:
            continue
    base = defaults(core, discord)
    merged = {f.name: values.get(f.name, getattr(base, f.name)) for f in fields(GuildSettings)}
    merged.update(hidden_base=hidden, changed=frozenset(n for n in stored if n in SETTINGS))
    merged["cooldown_rate"], merged["cooldown_seconds"] = within_operators_cooldown(
        merged["cooldown_rate"],
        merged["cooldown_seconds"],
        base,  # type: ignore[arg-type]
    )
    return GuildSettings(**merged)  # type: ignore[arg-type]


def check_in_server(
    name: str, stored: str, guild_id: int, current: GuildSettings, operator: GuildSettings
) -> None:
    """SettingRefused for a parsed value the server may not have: @everyone (whose id is the server's)
    as a moderator role, which would make every member a moderator; a cooldown looser than the
    operator's (see within_operators_cooldown, which holds any stored value to the same limit)."""
    if name == "moderator-roles" and str(guild_id) in stored.split(","):
        raise SettingRefused(name, "@everyone can't be a moderator role: every member would be a moderator")
    if name == "cooldown-rate" and int(stored) > operator.cooldown_rate:
        raise SettingRefused(name, f"at most {operator.cooldown_rate}, the operator's limit (got {stored})")
    if name == "cooldown-seconds":
        shortest = current.cooldown_rate * operator.cooldown_seconds / operator.cooldown_rate
        if float(stored) < shortest:
            raise SettingRefused(
                name,
                f"at least {shortest:g} with {current.cooldown_rate} questions a period, the operator's "
                f"pace (got {float(stored):g})",
            )


def within_operators_cooldown(rate: int, seconds: float, operator: GuildSettings) -> tuple[int, float]:
    """A server's cooldown made no looser than the operator's (the environment's): every server shares
    one bot, so a server that allowed 1,000 questions a second per user could starve all the others.
    At most the operator's burst (rate) and average (rate per seconds); stricter values stand."""
    rate = min(rate, operator.cooldown_rate)
    return rate, max(seconds, rate * operator.cooldown_seconds / operator.cooldown_rate)


def _typed(field: str, stored: str) -> object:
    if field.endswith("_ids"):
        return frozenset(int(part) for part in stored.split(",") if part)
    if field in ("private_answers", "use_base"):
        return stored == "on"
    if field == "cooldown_rate":
        return int(stored)
    return float(stored)


def shown(settings: GuildSettings, name: str) -> str:
    """How /config show writes a setting's value."""
    value = getattr(settings, SETTINGS[name].field)
    if isinstance(value, frozenset):
        return ", ".join(str(v) for v in sorted(value)) or "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)
