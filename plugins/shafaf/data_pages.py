"""The press's pages: the datasets page, the data dictionary and the change log.

The datasets page reads ``data/files.json`` (written by the pipeline: every download with its
size and sha256), ``data/changes.json`` and one ruling of ``data/rulings.json`` (a real
``record.json`` address for the «از راه کد» examples); the dictionary is made from
``pipeline.schema``, so a field added to the schema appears here with nothing else to edit.
"""
from __future__ import annotations

import json
from pathlib import Path

from pelican.generators import Generator

from pipeline.changes import withdrawn_now
from pipeline.completeness import page_context
from pipeline.display import fa_digits, fa_number
from pipeline.schema import OPTIONAL, REQUIRED, RULINGS, TABLES, Field, Visibility
from pipeline.urls import URLS

VISIBILITY_FA = {
    Visibility.PUBLIC: "منتشر می‌شود",
    Visibility.PRIVATE: "منتشر نمی‌شود",
    Visibility.COARSENED: "منتشر می‌شود، در سطح خیابان",
    Visibility.REDACTED: "منتشر می‌شود، با پوشاندن داده‌ی شخصی",
}
REQUIRED_FA = {REQUIRED: "بله", OPTIONAL: "خیر"}


def allowed_values(f: Field, districts: int) -> str:
    """The dictionary's «allowed» column: the kind's range, the enumeration or the field's bounds."""
    if f.kind.spec.districts:
        return f"۱ تا {districts}"
    if f.enum:
        return "، ".join(f.enum)
    if f.jalali_of:
        return "سال/ماه/روز خورشیدی، مانند 1403/11/06"
    low = "" if f.minimum is None else (f"بیشتر از {f.minimum:g}" if f.exclusive_minimum else f"از {f.minimum:g}")
    high = "" if f.maximum is None else f"تا {f.maximum:g}"
    return " ".join(x for x in (low, high) if x)


def dictionary_entry(f: Field, districts: int) -> dict:
    spec = f.kind.spec
    required = REQUIRED_FA.get(f.required) or f"برای {f.required.rows_fa}"
    visibility = (f"فقط برای {f.published_when.rows_fa} منتشر می‌شود" if f.published_when
                  else VISIBILITY_FA[f.visibility])
    return {
        "name": f.name, "label_fa": f.header, "label_en": f.label_en,
        "type_fa": spec.label_fa, "type_en": spec.label_en,
        "required": required, "allowed": allowed_values(f, districts),
        "published": f.published, "visibility": visibility,
        "why": f.withheld_why or f.description_fa,
    }


def dictionary(districts: int) -> list[dict]:
    """Every field of every table, in the order of the published files."""
    return [{"name": table.name, "title_fa": table.title_fa, "title_en": table.title_en,
             "description_fa": table.description_fa, "description_en": table.description_en,
             "key": list(table.key),
             "fields": [dictionary_entry(f, districts) for f in table.all_fields]}
            for table in TABLES]


# Binary units, as file managers and browsers show sizes; one decimal, the Persian decimal mark.
UNITS = ((1024 ** 3, "گیگابایت"), (1024 ** 2, "مگابایت"), (1024, "کیلوبایت"))


def human_size(size: int) -> str:
    """«۱٫۳ مگابایت» from 1351623; under a kilobyte, the bytes."""
    for unit, name in UNITS:
        if size >= unit:
            return f"{fa_digits(f'{size / unit:.1f}').replace('.', '٫')} {name}"
    return f"{fa_number(size)} بایت"


def _sized(described: dict) -> dict:
    return {**described, "size": human_size(described["bytes"]), "exact": f"{fa_number(described['bytes'])} بایت"}


def with_sizes(catalogue: dict | None) -> dict | None:
    """files.json with each file's size as the page shows it (files.json keeps the bytes)."""
    if not catalogue:
        return catalogue
    datasets = [{**d, "files": [_sized(f) for f in d["files"]]} for d in catalogue["datasets"]]
    extra = {name: _sized(catalogue[name]) for name in ("zip", "datapackage") if name in catalogue}
    return {**catalogue, "datasets": datasets, **extra}


def example_ruling(data: Path) -> str | None:
    """The slug of the first ruling of rulings.json (one record per line: read two lines,
    not the whole file)."""
    try:
        with open(data / f"{RULINGS.name}.json", encoding="utf-8") as stream:
            stream.readline()
            line = stream.readline().strip().rstrip(",")
    except FileNotFoundError:
        return None
    return json.loads(line)["slug"] if line.startswith("{") else None


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


class DataPagesGenerator(Generator):
    def generate_context(self):
        data = Path(self.output_path) / URLS.data()
        self.catalogue = with_sizes(_read_json(data / "files.json"))
        self.example = example_ruling(data)
        self.history = (_read_json(data / "changes.json") or {}).get("publications", [])
        gone = withdrawn_now(self.history)
        self.history = [{**publication, "changes": [{**c, "live": (c["dataset"], c["key"]) not in gone}
                                                    for c in publication["changes"]]}
                        for publication in self.history]
        self.tables = dictionary(int(self.settings["MUNICIPALITY"]["districts"]))
        # The home and methodology pages state what was withheld: read back from what was published.
        self.context["COMPLETENESS"] = page_context(_read_json(data / "datapackage.json"), TABLES)

    def generate_output(self, writer):
        common = {"relative_urls": self.settings["RELATIVE_URLS"]}
        pages = [(URLS.data(), "datasets", {"catalogue": self.catalogue, "tables": self.tables,
                                             "history": self.history[:1], "example": self.example}),
                 (URLS.dictionary(), "dictionary", {"tables": self.tables}),
                 (URLS.changes(), "changes", {"history": self.history})]
        for url, template, kwargs in pages:
            writer.write_file(URLS.save_as(url), self.get_template(template), self.context,
                              url=url, **kwargs, **common)
