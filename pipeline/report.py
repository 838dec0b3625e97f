"""The staff's report of a run: counts, every rejected row and every warning. Never published."""
from __future__ import annotations

import json
from pathlib import Path

from .datasets import excel_csv
from .errors import FILE_ERRORS, ROW_ERRORS, WARNINGS, FileError
from .files import write_if_changed
from .validate import REJECTION_COLUMNS, Validated


def summary(validated: Validated) -> dict:
    return {
        checked.table.name: {"read": checked.read, "published": checked.published,
                             "rejected": checked.rejected, "warnings": len(checked.warnings)}
        for checked in validated.tables()
    }


def _csv(rows: list[dict]) -> bytes:
    # A header or a reason can hold the export's own text: neutralised like the datasets.
    return excel_csv(REJECTION_COLUMNS, ([row.get(c) for c in REJECTION_COLUMNS] for row in rows))


def write_report(folder: Path, validated: Validated) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    counts = summary(validated)
    write_if_changed(folder / "summary.json",
                     json.dumps(counts, ensure_ascii=False, indent=2) + "\n")
    write_if_changed(folder / "rejections.csv", _csv([p for c in validated.tables() for p in c.problems]))
    write_if_changed(folder / "warnings.csv", _csv([w for c in validated.tables() for w in c.warnings]))
    return counts


def format_summary(validated: Validated, reports: Path) -> str:
    lines = ["", "Shafaf: what the exports gave", ""]
    lines.append(f"  {'dataset':<12}{'read':>8}{'published':>11}{'rejected':>10}{'warnings':>10}")
    for checked in validated.tables():
        lines.append(f"  {checked.table.name:<12}{checked.read:>8}{checked.published:>11}"
                     f"{checked.rejected:>10}{len(checked.warnings):>10}")
    problems = [p for c in validated.tables() for p in c.problems]
    if problems:
        lines += ["", "Rejected rows (first 20; all of them in reports/rejections.csv):"]
        for p in problems[:20]:
            sheet = f" [{p['sheet']}]" if p["sheet"] else ""
            lines.append(f"  {p['file']}{sheet} row {p['row']}, «{p['column']}»: {p['code']} — {p['reason']}")
    codes = sorted({p["code"] for p in problems} | {w["code"] for c in validated.tables() for w in c.warnings})
    if codes:
        lines += ["", "Codes:"]
        lines += [f"  {code}: {(ROW_ERRORS.get(code) or WARNINGS[code])[1]}" for code in codes]
    lines += ["", f"Report: {reports / 'summary.json'}, {reports / 'rejections.csv'}, {reports / 'warnings.csv'}", ""]
    return "\n".join(lines)


def format_file_error(error: FileError) -> str:
    persian, english = FILE_ERRORS[error.code]
    where = f"{error.file} [{error.sheet}]" if error.sheet else error.file
    return (f"\nShafaf stopped: the exports cannot be used; nothing was written.\n"
            f"  {error.code}: {english} ({persian})\n  file: {where}\n  cause: {error.detail}\n")
