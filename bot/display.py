"""Text from the knowledge folder as the adapters show it (the CLI on a terminal, Discord in a message)."""


def one_line(text: str) -> str:
    """A file name or title kept on one line: a newline or an escape sequence in it is shown escaped
    rather than splitting the output or recolouring a terminal."""
    return "".join(
        char if char.isprintable() or char == " " else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def sync_report_lines(report) -> list[str]:
    """One source's sync in words, the same for the CLI and Discord: its counts, each failure (whose
    last good copy is kept) and its notes; a source that failed as a whole is one line."""
    if report.error:
        return [f"{report.name}: not synced: {one_line(report.error)}; its last good copy is kept"]
    lines = [
        f"{report.name}: {len(report.written)} written, {report.unchanged} unchanged, "
        f"{len(report.removed)} removed, {len(report.failed)} failed, {report.requests} requests, "
        f"{report.seconds:.1f} s"
    ]
    lines += [
        f"  failed {one_line(where)}: {one_line(reason)} (last good copy kept)"
        for where, reason in report.failed
    ]
    lines += [f"  note: {one_line(note)}" for note in report.notes]
    return lines
