"""``reports/report.html``: the staff's readable report of a run. Never published.

Counts per dataset, the publish gates (when run by ``pipeline.publish``), what changed since
the last publication, every rejected row with its reason and every warning. Every value is
passed through ``html.escape``: a cell can hold anything, including markup. No clock: the
same run gives the same bytes.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from .errors import ROW_ERRORS, WARNINGS
from .files import write_if_changed
from .urls import URLS

LISTED = 2000  # rows per table in the page; the CSV files next to it hold all of them

_STYLE = """
body{font-family:Vazirmatn,Tahoma,sans-serif;margin:1.5rem;line-height:1.6;color:#1b1b1b}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #bbb;padding:.2rem .5rem;text-align:start;vertical-align:top}
th{background:#eee}.num{text-align:end;font-variant-numeric:tabular-nums}
.fail{color:#a40000;font-weight:bold}.pass{color:#176117}.note{color:#555}
"""


def _e(value) -> str:
    return "" if value is None else escape(str(value), quote=True)


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="num">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
                                     for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _more(total: int, file: str) -> str:
    if total <= LISTED:
        return ""
    return f'<p class="note">{_e(total - LISTED)} more in {_e(file)}.</p>'


def render(publication, gates: list[dict] | None = None, verdict: str | None = None) -> str:
    """``gates``: [{name, passed, detail}] from a publish; ``verdict``: its one-line outcome."""
    validated, log = publication.validated, publication.change_log
    parts = [f'<!doctype html><html lang="fa" dir="rtl"><head><meta charset="utf-8">'
             f"<title>گزارش اجرای شفاف — Shafaf run report</title><style>{_STYLE}</style></head><body>",
             "<h1>گزارش اجرای شفاف <small>(Shafaf run report — for staff, never published)</small></h1>"]
    if log:
        baseline = log.baseline or "— (first publication)"
        parts.append(f"<p>Publication date: <b>{_e(log.published)}</b>; compared with the publication of "
                     f"<b>{_e(baseline)}</b>.</p>")
    if verdict:
        css = "pass" if gates and all(g["passed"] for g in gates) else "fail"
        parts.append(f'<p class="{css}">{_e(verdict)}</p>')
    if gates:
        parts.append("<h2>Publish gates</h2>")
        parts.append(_table(["gate", "result", "detail"],
                            [[g["name"], "passed" if g["passed"] else "FAILED", g["detail"]] for g in gates]))
    parts.append("<h2>Counts (read = published + rejected)</h2>")
    rows = []
    for checked in validated.tables():
        share = f"{checked.rejected / checked.read:.1%}" if checked.read else "—"
        rows.append([checked.table.name, checked.read, checked.published, checked.rejected, share, len(checked.warnings)])
    parts.append(_table(["dataset", "read", "published", "rejected", "rejected share", "warnings"], rows, {1, 2, 3, 4, 5}))
    # Rejections first: they are what staff must act on; the change list can be long.
    parts.append(_listed("Rejected rows", [p for c in validated.tables() for p in c.problems],
                         ROW_ERRORS, "reports/rejections.csv"))
    parts.append(_listed("Warnings", [w for c in validated.tables() for w in c.warnings],
                         WARNINGS, "reports/warnings.csv"))
    if log:
        parts.append(_changes(log))
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p)


def _listed(title: str, rows: list[dict], meanings: dict, csv_file: str) -> str:
    """Rejections or warnings: their codes explained, then the first rows of the CSV."""
    columns = ["file", "sheet", "row", "column", "code", "reason"]
    return "\n".join(part for part in (
        f"<h2>{_e(title)} ({_e(len(rows))})</h2>",
        _codes(sorted({r["code"] for r in rows}), meanings),
        _table(columns, [[r[c] for c in columns] for r in rows[:LISTED]], {2}),
        _more(len(rows), csv_file),
    ) if part)


def _codes(codes: list[str], meanings: dict) -> str:
    if not codes:
        return ""
    items = "".join(f"<li><code>{_e(c)}</code>: {_e(meanings[c][1])} ({_e(meanings[c][0])})</li>" for c in codes)
    return f"<ul>{items}</ul>"


def _changes(log) -> str:
    counts = log.counts()
    rows = [[name, c["added"], c["changed"], c["withdrawn"]] for name, c in counts.items()]
    listed = [[c["dataset"], c["key"], c["change"], " ".join(c["fields"])] for c in log.changes[:LISTED]]
    return ("<h2>What changed since the last publication</h2>"
            + _table(["dataset", "added", "changed", "withdrawn"], rows, {1, 2, 3})
            + _table(["dataset", "key", "change", "fields"], listed)
            + _more(len(log.changes), f"output/{URLS.changes_file('csv', log.published)}"))


def write(folder: Path, publication, gates: list[dict] | None = None, verdict: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.html"
    write_if_changed(path, render(publication, gates, verdict))
    return path
