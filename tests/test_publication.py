"""The whole sample publication: accounting, datasets, reproducibility."""
from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BIN, SAMPLE, build_site

ROOT = Path(__file__).resolve().parent.parent
SOURCE_FILE = {"rulings": ("rulings.xlsx", "آرا"), "violations": ("rulings.xlsx", "تخلفات"),
               "properties": ("properties.xlsx", "املاک")}


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_row_is_published_or_rejected(sample_site):
    summary = json.loads((sample_site.reports / "summary.json").read_text("utf-8"))
    rejections = read_csv(sample_site.reports / "rejections.csv")
    assert set(rejections[0]) == {"file", "sheet", "row", "column", "code", "reason"}
    for name, counts in summary.items():
        assert counts["read"] == counts["published"] + counts["rejected"], name
        assert counts["published"] == len(read_csv(sample_site.output / "data" / f"{name}.csv")), name
        rejected_rows = {r["row"] for r in rejections if (r["file"], r["sheet"]) == SOURCE_FILE[name]}
        assert len(rejected_rows) == counts["rejected"], name
    assert summary["rulings"]["rejected"] > 0, "the sample plants bad rows so the report is never empty"


def test_every_published_ruling_and_property_has_a_page(sample_site):
    for name in ("rulings", "properties"):
        slugs = [row["slug"] for row in read_csv(sample_site.output / "data" / f"{name}.csv")]
        assert slugs and len(set(slugs)) == len(slugs)
        missing = [s for s in slugs if not (sample_site.output / name / s / "index.html").is_file()]
        assert not missing, missing[:5]


def test_reports_are_never_published(sample_site):
    names = {p.name for p in sample_site.output.rglob("*")}
    assert not names & {"summary.json", "rejections.csv", "warnings.csv"}


def _frictionless(datapackage: Path) -> dict:
    result = subprocess.run([str(BIN / "frictionless"), "validate", "--json", str(datapackage)],
                            capture_output=True, text=True)
    return json.loads(result.stdout)


def test_datapackage_passes_frictionless_validate(sample_site):
    report = _frictionless(sample_site.output / "data" / "datapackage.json")
    assert report["valid"], json.dumps(report, ensure_ascii=False)[:3000]


@pytest.mark.parametrize("damage", ["changed-byte", "orphan-violation"])
def test_frictionless_catches_a_damaged_dataset(sample_site, tmp_path, damage):
    """Proves the check above can fail."""
    for path in (sample_site.output / "data").iterdir():
        if path.is_file():
            (tmp_path / path.name).write_bytes(path.read_bytes())
    if damage == "changed-byte":
        data = (tmp_path / "properties.csv").read_bytes()
        (tmp_path / "properties.csv").write_bytes(data.replace(b"P-", b"Q-", 1))
    else:   # a violation pointing to no ruling, with the hash recomputed so only the key breaks
        package = json.loads((tmp_path / "datapackage.json").read_text("utf-8"))
        data = (tmp_path / "violations.csv").read_bytes()
        first = data.split(b"\r\n")[1]
        data = data.replace(first, b"9999/9/9" + first[first.index(b","):], 1)
        (tmp_path / "violations.csv").write_bytes(data)
        resource = next(r for r in package["resources"] if r["name"] == "violations")
        resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
        resource["bytes"] = len(data)
        (tmp_path / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False), "utf-8")
    assert not _frictionless(tmp_path / "datapackage.json")["valid"]


def test_datapackage_describes_every_public_field(sample_site):
    from pipeline.schema import TABLES
    package = json.loads((sample_site.output / "data" / "datapackage.json").read_text("utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    for table in TABLES:
        resource = resources[table.name]
        assert [f["name"] for f in resource["schema"]["fields"]] == [f.name for f in table.dataset_fields]
        data = (sample_site.output / "data" / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data)
        columns = set(read_csv(sample_site.output / "data" / resource["path"])[0])
        assert not {f.name for f in table.private_fields} & columns
    assert package["licenses"][0]["name"] == "CC-BY-4.0"


def test_csv_is_excel_friendly_and_formulas_are_neutralised(sample_site):
    raw = (sample_site.output / "data" / "rulings.csv").read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8")) and b"\r\n" in raw
    neutralised = 0
    for name in ("rulings", "violations", "properties"):
        for row in read_csv(sample_site.output / "data" / f"{name}.csv"):
            for value in row.values():
                assert not value.startswith(("=", "+", "-", "@")), (name, value)
                neutralised += value.startswith("'=") or value.startswith("'@")
    assert neutralised, "the sample plants formula-like cells"


def test_same_exports_give_byte_identical_output(sample_site, tmp_path):
    again = build_site(SAMPLE, tmp_path)

    def tree(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    for first, second in ((sample_site.output, again.output), (sample_site.content, again.content),
                          (sample_site.reports, again.reports)):
        a, b = tree(first), tree(second)
        assert a.keys() == b.keys()
        assert [k for k in a if a[k] != b[k]] == []


def test_second_pipeline_run_rewrites_nothing(sample_site):
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "--exports", str(SAMPLE), "--content", str(sample_site.content),
         "--output", str(sample_site.output), "--reports", str(sample_site.reports),
         "--cache", str(sample_site.output.parent / "cache")],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "written: rulings 0, properties 0, datasets 0, search 0" in result.stdout
    # The pipeline owns only its own files in output/: the pages Pelican wrote there stay.
    assert (sample_site.output / "search" / "index.html").is_file()
    assert (sample_site.output / "data" / "index.html").is_file()



def test_a_rebuild_rewrites_only_what_changed(tmp_path):
    from factory import ruling, violation, write_exports
    exports = write_exports(tmp_path / "exports", rulings=[ruling(), ruling(ruling_no="1402/3/101")],
                            violations=[violation()])
    site = build_site(exports, tmp_path / "site")

    def stamps() -> dict[str, int]:
        return {str(p.relative_to(site.output)): p.stat().st_mtime_ns
                for p in site.output.rglob("*") if p.is_file() and "theme" not in p.parts}

    before = stamps()
    build_site(exports, tmp_path / "site")
    assert stamps() == before, "an identical rebuild rewrote files"

    write_exports(tmp_path / "exports", rulings=[ruling(), ruling(ruling_no="1402/3/101", neighbourhood="عظیمیه")],
                  violations=[violation()])
    build_site(exports, tmp_path / "site")
    after = stamps()
    rewritten = {name for name in after if after[name] != before.get(name)}
    assert "rulings/1402-3-101/index.html" in rewritten
    assert "rulings/1402-3-100/index.html" not in rewritten
    assert len(rewritten) < len(after) / 2
