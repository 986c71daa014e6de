"""Text from the knowledge folder as the adapters show it (the CLI on a terminal, Discord in a message)."""


def one_line(text: str) -> str:
    """A file name or title kept on one line: a newline or an escape sequence in it is shown escaped
    rather than splitting the output or recolouring a terminal."""
    return "".join(
        char if char.isprintable() or char == " " else char.encode("unicode_escape").decode("ascii")
        for char in text
    )
