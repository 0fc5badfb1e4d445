"""The export formats: JSON bundle, CSV, Markdown and a printable HTML report.

Every format renders the same ``Bundle`` (``bundle.py``), so none can show more than the
outcome record holds. User text is never trusted: CSV cells that a spreadsheet would run as
a formula get a leading apostrophe, Markdown escapes what would become markup or a link,
and the HTML report is autoescaped, has no scripts and loads nothing (its Content Security
Policy forbids it, in case a browser ever parsed something as markup).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.export.bundle import Bundle, ItemOut, StepOut, bundle_json

Format = Literal["json", "csv", "md", "html"]
FORMATS: tuple[Format, ...] = ("json", "csv", "md", "html")
MEDIA_TYPES: dict[Format, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"
REPORT_TEMPLATE = "export/report.html"
# What a report may load: nothing but its own inline styles. Sent as a header by the API and
# repeated in the document, which is also opened from disk.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

CSV_COLUMNS = (
    "step",
    "step_key",
    "step_title",
    "group",
    "area",
    "kind",
    "item_id",
    "text",
    "question",
    "cluster",
    "votes",
    "answers",
    "deck_id",
    "card_id",
)
QUESTION_LABELS = {
    "exciting": "Was fand ich spannend?",
    "learn_more": "Worüber möchte ich mehr lernen?",
    "take_away": "Was nehme ich mit?",
}


# Spreadsheets run a cell starting with these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render(bundle: Bundle, fmt: Format) -> str:
    """The bundle in one format, as text."""
    renderers: dict[Format, Callable[[Bundle], str]] = {
        "json": bundle_json,
        "csv": render_csv,
        "md": render_markdown,
        "html": render_html,
    }
    return renderers[fmt](bundle)


def minutes(seconds: int) -> str:
    """Seconds as whole minutes, rounded, e.g. ``12 min``."""
    return f"{round(seconds / 60)} min"


def points(votes: int) -> str:
    """``1 Punkt``, ``3 Punkte``."""
    return "1 Punkt" if votes == 1 else f"{votes} Punkte"


def group_label(group: int | None) -> str:
    """``Gruppe 2`` or ``Plenum``."""
    return "Plenum" if group is None else f"Gruppe {group}"


def cluster_titles(step: StepOut) -> dict[str, str]:
    """Cluster id -> title for one step."""
    return {cluster.id: cluster.title for cluster in step.clusters}


def _answers(item: ItemOut) -> str:
    return " | ".join(item.answers)


# --- CSV ---------------------------------------------------------------------------------


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as text: a leading apostrophe before formula starts."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_rows(bundle: Bundle) -> Iterator[list[str]]:
    """One row per exported board item, in step order, as strings."""
    for step in bundle.steps:
        clusters = cluster_titles(step)
        for item in step.items:
            yield [
                str(step.index),
                step.key,
                step.title.de,
                "" if item.group is None else str(item.group),
                item.area or "",
                item.kind,
                item.id,
                item.text,
                item.question.de if item.question else "",
                clusters.get(item.cluster or "", ""),
                "" if item.votes is None else str(item.votes),
                _answers(item),
                item.deck_id or "",
                item.card_id or "",
            ]


def render_csv(bundle: Bundle) -> str:
    """RFC 4180 CSV (CRLF, quoted where needed) with a header row; formula-injection safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(bundle):
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


# --- Markdown ----------------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]<>&|#!~])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])")


def md(value: str, indent: str = "  ") -> str:
    """User text as literal Markdown: no emphasis, links, HTML or list starts; line breaks
    kept as hard breaks indented under the list item."""
    lines = []
    for line in value.splitlines() or [""]:
        escaped = _MD_INLINE.sub(r"\\\1", line)
        lines.append(_MD_LINE_START.sub(lambda m: m[1] + "\\" + m[2], escaped))
    return ("\\\n" + indent).join(lines)


def _md_item(item: ItemOut, clusters: dict[str, str]) -> str:
    line = f"- {md(item.text)}"
    if item.kind == "card":
        line = f"- Karte {md(item.card_id or '')}" + (f": {md(item.text)}" if item.text else "")
    if item.votes is not None:
        line += f" ({points(item.votes)})"
    if item.cluster in clusters:
        line += f" · Cluster: {md(clusters[item.cluster or ''])}"
    if item.answers:
        line += "".join(f"\n  - Antwort: {md(answer, '    ')}" for answer in item.answers)
    return line


def _md_step(step: StepOut, lines: list[str]) -> None:
    lines += [f"## {step.index + 1}. {md(step.title.de)}", ""]
    lines += [
        f"Geplant {minutes(step.planned_s)}, tatsächlich {minutes(step.actual_s)}"
        f" · Gruppen: {len(step.groups)}",
        "",
    ]
    clusters = cluster_titles(step)
    by_id = {item.id: item for item in step.items}
    notes = [item for item in step.items if item.kind != "wicked_question"]
    for group in sorted({item.group or 0 for item in notes}):
        lines += [f"### {group_label(group or None)}", ""]
        members = [item for item in notes if (item.group or 0) == group]
        for area in sorted({item.area or "" for item in members}):
            if area:
                lines += [f"#### Bereich {md(area)}", ""]
            lines += [_md_item(item, clusters) for item in members if (item.area or "") == area]
            lines.append("")
    if step.wicked_questions:
        lines += ["### Wicked Questions, nach Punkten", ""]
        for rank, item_id in enumerate(step.wicked_questions, start=1):
            item = by_id[item_id]
            question = item.question.de if item.question else ""
            votes = "" if item.votes is None else f" ({points(item.votes)})"
            lines.append(f"{rank}. {md(question, '   ')}{votes}")
            lines += [f"   - Antwort: {md(answer, '     ')}" for answer in item.answers]
        lines.append("")
    if step.clusters:
        lines += ["### Cluster", ""]
        lines += [f"- {md(c.title)} ({group_label(c.group)})" for c in step.clusters]
        lines.append("")


def render_markdown(bundle: Bundle) -> str:
    """A readable Markdown document of the whole record."""
    work = bundle.workshop
    lines = [f"# {md(work.title)}", ""]
    lines += [
        f"Stand {bundle.as_of} · Geplant {minutes(work.planned_s)}, tatsächlich"
        f" {minutes(work.actual_s)} · Teilnehmende: {bundle.attendance.participants}"
        f" · Schritte durchgeführt: {bundle.attendance.steps_run}",
        "",
    ]
    for step in bundle.steps:
        _md_step(step, lines)
    if bundle.polls:
        lines += ["## Umfragen", ""]
        for poll in bundle.polls:
            labels = poll.options or [str(value) for value in poll.values]
            counts = ", ".join(
                f"{md(label)}: {count}" for label, count in zip(labels, poll.tallies, strict=False)
            )
            lines.append(f"- {md(poll.question)} ({poll.answered} Antworten): {counts}")
        lines.append("")
    if bundle.canvases:
        lines += ["## Canvases", ""]
        for canvas in bundle.canvases:
            lines += [f"### {canvas.owner}", "", f"- Idee: {md(canvas.idea)}"]
            lines.append(f"- Ziel: {md(canvas.goal)}")
            for m in canvas.milestones:
                lines.append(
                    f"- Meilenstein bis {md(m.by_when)}: {md(m.what)} (gemessen: "
                    f"{md(m.how_measured)})"
                )
            lines.append("")
    if bundle.reflections:
        lines += ["## Reflexionen", ""]
        lines += [f"- {QUESTION_LABELS[r.question]} {md(r.text)}" for r in bundle.reflections]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# --- HTML --------------------------------------------------------------------------------


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every user field is escaped, whatever the file's extension
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["minutes"] = minutes
    environment.filters["group_label"] = group_label
    environment.filters["points"] = points
    return environment


def render_html(bundle: Bundle) -> str:
    """A self-contained, printable HTML report: inline CSS, no scripts, nothing loaded."""
    template = _environment().get_template(REPORT_TEMPLATE)
    return template.render(
        bundle=bundle,
        csp=REPORT_CSP,
        questions=QUESTION_LABELS,
        cluster_titles=cluster_titles,
    )
