"""Server ids the CLI refuses in one line (exit 2), before touching the database or a folder."""

from __future__ import annotations

import pytest

from tests.cli.test_collections_cli import home, run  # noqa: F401 (the fixture)


@pytest.mark.parametrize("guild_id", ["0", "-5", "99999999999999999999", "12x", "../4242"])
def test_a_guild_id_that_is_no_discord_id_is_one_line(home, guild_id):  # noqa: F811
    for args in (["collections", "delete", guild_id, "--yes"], ["ask", "--collection", guild_id, "JAX?"]):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and "unexpected" not in result.output
        assert "Error: " in result.output
    assert (home / "data" / "collections" / "4242" / "knowledge" / "wombat.md").is_file()
