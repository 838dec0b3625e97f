"""The press's pages: the datasets page, the data dictionary and the change log.

The datasets page reads ``data/files.json`` (written by the pipeline: every download with its
size and sha256) and ``data/changes.json``; the dictionary is made from ``pipeline.schema``,
so a field added to the schema appears here with nothing else to edit.
"""
from __future__ import annotations

import json
from pathlib import Path

from pelican.generators import Generator

from pipeline.changes import withdrawn_now
from pipeline.schema import (
    FOR_APPEALS, REQUIRED, TABLES, Kind, Visibility,
)
from pipeline.urls import URLS

KIND_FA = {
    Kind.KEY: ("شناسه (متن)", "identifier (string)"), Kind.TEXT: ("متن", "string"),
    Kind.LONG_TEXT: ("متن بلند", "string"), Kind.PERSON: ("نام شخص", "string"),
    Kind.DATE: ("تاریخ میلادی ISO", "date (YYYY-MM-DD)"), Kind.ENUM: ("یکی از مقادیر", "string, enumerated"),
    Kind.INTEGER: ("عدد صحیح", "integer"), Kind.DECIMAL: ("عدد اعشاری", "number"),
    Kind.DISTRICT: ("شماره منطقه", "integer"),
}
VISIBILITY_FA = {
    Visibility.PUBLIC: "منتشر می‌شود",
    Visibility.PRIVATE: "منتشر نمی‌شود",
    Visibility.COARSENED: "منتشر می‌شود، در سطح خیابان",
    Visibility.REDACTED: "منتشر می‌شود، با پوشاندن داده‌ی شخصی",
    Visibility.CONDITIONAL: "فقط برای اشخاص حقوقی منتشر می‌شود",
}
REQUIRED_FA = {REQUIRED: "بله", FOR_APPEALS: "برای آرای تجدیدنظر", "optional": "خیر"}


def dictionary(districts: int) -> list[dict]:
    """Every field of every table, in the order of the published files."""
    tables = []
    for table in TABLES:
        fields = []
        for f in (*table.derived, *(f for f in table.fields)):
            if f.kind is Kind.DISTRICT:
                allowed = f"۱ تا {districts}"
            elif f.enum:
                allowed = "، ".join(f.enum)
            elif f.minimum is not None or f.maximum is not None:
                low = "" if f.minimum is None else (f"بیشتر از {f.minimum:g}" if f.exclusive_minimum else f"از {f.minimum:g}")
                high = "" if f.maximum is None else f"تا {f.maximum:g}"
                allowed = " ".join(x for x in (low, high) if x)
            else:
                allowed = ""
            fields.append({
                "name": f.name, "label_fa": f.header, "label_en": f.label_en,
                "type_fa": KIND_FA[f.kind][0], "type_en": KIND_FA[f.kind][1],
                "required": REQUIRED_FA[f.required], "allowed": allowed,
                "published": f.published, "visibility": VISIBILITY_FA[f.visibility],
                "why": f.withheld_why or f.description_fa,
            })
        tables.append({"name": table.name, "title_fa": table.title_fa, "title_en": table.title_en,
                       "description_fa": table.description_fa, "description_en": table.description_en,
                       "key": list(table.key), "fields": fields})
    return tables


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


class DataPagesGenerator(Generator):
    def generate_context(self):
        data = Path(self.output_path) / URLS.data()
        self.catalogue = _read_json(data / "files.json")
        self.history = (_read_json(data / "changes.json") or {}).get("publications", [])
        gone = withdrawn_now(self.history)
        self.history = [{**publication, "changes": [{**c, "live": (c["dataset"], c["key"]) not in gone}
                                                    for c in publication["changes"]]}
                        for publication in self.history]
        self.tables = dictionary(int(self.settings["MUNICIPALITY"]["districts"]))

    def generate_output(self, writer):
        common = {"relative_urls": self.settings["RELATIVE_URLS"]}
        pages = [(URLS.data(), "datasets", {"catalogue": self.catalogue, "tables": self.tables,
                                             "history": self.history[:1]}),
                 (URLS.dictionary(), "dictionary", {"tables": self.tables}),
                 (URLS.changes(), "changes", {"history": self.history})]
        for url, template, kwargs in pages:
            writer.write_file(URLS.save_as(url), self.get_template(template), self.context,
                              url=url, **kwargs, **common)
