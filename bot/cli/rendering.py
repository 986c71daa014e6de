"""How answers, build reports and eval reports read on a terminal or as JSON (pure functions)."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.core.answer import Answer
from bot.display import one_line, sync_report_lines


def format_answer(answer: Answer, as_json: bool) -> str:
    return json.dumps(answer_json(answer)) if as_json else render_answer(answer)


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answered": answer.answered,
        "answer": answer.text,
        "confidence": round(answer.confidence, 4),
        "sources": [
            {"title": s.title, "section": s.section, "path": s.path, "url": s.url, "score": round(s.score, 4)}
            # Which collection, only when the answer searched a server's beside the base.
            | ({"collection": s.collection} if s.collection else {})
            for s in answer.sources
        ],
        "passages": [
            {
                "text": h.passage.text,
                "title": h.passage.title,
                "section": h.passage.section,
                "path": h.passage.doc_path,
                "score": round(h.score, 4),
            }
            | ({"collection": h.collection} if h.collection else {})
            for h in answer.hits
        ],
        "suggestions": list(answer.suggestions),
    }


# The answer quotes articles, which anyone with a synced page can write: an escape sequence in one would
# clear, retitle or write the clipboard of the terminal, so C0 and C1 controls but the tab and the line feed
# are shown escaped (not all that `one_line` escapes: a no-break space from a web page stays as it is).
TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def render_answer(answer: Answer) -> str:
    text = TERMINAL_CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode(), answer.text)
    if not answer.answered:
        lines = [text]
        if answer.suggestions:
            lines.append("Closest articles: " + "; ".join(one_line(title) for title in answer.suggestions))
        lines.append(f"(confidence {answer.confidence:.2f})")
        return "\n".join(lines)
    lines = [text, "", "Sources:"]
    for number, source in enumerate(answer.sources, 1):
        where = " › ".join(one_line(part) for part in (source.title, source.section) if part)
        link = f" <{one_line(source.url)}>" if source.url else ""
        collection = f"{source.collection}: " if source.collection else ""
        lines.append(f"  [{number}] {where} ({collection}{one_line(source.path)}){link}")
    lines.append(f"(confidence {answer.confidence:.2f})")
    return "\n".join(lines)


def eval_lines(report) -> list[str]:
    unit = "section" if report.by_section else "file"
    refused = "n/a" if report.refused_share is None else f"{report.refused_share:.3f}"
    lines = [
        f"questions {report.questions}, unanswerable {report.unanswerable}, threshold {report.threshold}",
        f"{unit} recall@1 {report.recall_at_1:.3f}  recall@5 {report.recall_at_5:.3f}  "
        f"MRR@10 {report.mrr_at_10:.3f}",
        f"answer cites the gold {unit} {report.answer_cites_gold:.3f}"
        + ("" if report.answer_has_fact is None else f"  answer holds the fact {report.answer_has_fact:.3f}"),
        f"answered (answerable) {report.answered_share:.3f}  refused (unanswerable) {refused}",
    ]
    if report.refused_at_target is not None:
        lines.append(
            f"refused at 95 % answered (threshold {report.threshold_at_target:.3f}) "
            f"{report.refused_at_target:.3f}  AUROC {report.auroc:.3f}"
        )
    lines.append("latency ms " + "  ".join(f"{k} {v:.1f}" for k, v in report.latency_ms.items()))
    lines.append("threshold  answered  refused")
    for point, answered, declined in report.curve:
        lines.append(
            f"  {point:.2f}     {answered:.3f}    {'n/a' if declined is None else f'{declined:.3f}'}"
        )
    return lines


def summary_line(report) -> str:
    state = "" if report.rebuilt else " (no changes; index kept)"
    return (
        f"{report.articles} articles, {report.passages} passages, {report.embedded} texts embedded, "
        f"{report.reused} reused, {len(report.skipped)} skipped, {report.seconds:.1f} s{state}"
    )


def sync_lines(result) -> list[str]:
    """A sync as lines: each source's report, then the index build."""
    lines = [line for report in result.reports for line in sync_report_lines(report)]
    lines.append("index: " + (summary_line(result.build) if result.build else "nothing changed; index kept"))
    return lines


def size_text(size: int) -> str:
    """Bytes for people: 812 B, 41.3 KB, 2.1 MB."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} B"
