"""The command line: thin commands over the core. Errors become one line and an exit code, in app.py only.

Each module adds its commands to the one `cli` group; importing this package registers them all.
"""

from bot.cli import asking, collections, evaluating, indexing, running, sources  # noqa: F401 (they register their commands)
from bot.cli.app import EXIT_ERROR, EXIT_SKIPPED, cli, main
from bot.cli.rendering import one_line, render_answer

__all__ = ["EXIT_ERROR", "EXIT_SKIPPED", "cli", "main", "one_line", "render_answer"]
