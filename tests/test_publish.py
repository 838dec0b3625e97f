"""``make publish``: a site goes live only when every gate passes; otherwise the live site stays
byte-identical, the exit code is non-zero and the message names the file and the cause."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from factory import VALID_NATIONAL_ID, property_, ruling, violation, write_exports
from pipeline import build, gates, settings
from pipeline.compress import GZIP_SUFFIXES

SITEURL = "https://shafaf.example.org"


def tree(folder: Path) -> dict[str, str]:
    """Every file of a folder and the sha256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def publish(exports: Path, work: Path, *args: str, date: str = "2026-11-21",
            pages: dict[str, str] | None = None, **env: str) -> subprocess.CompletedProcess:
    """``python -m pipeline.publish`` into ``work``, with the staff pages of the project plus
    ``pages`` (file name -> Markdown)."""
    content = work / "content"
    (content / "pages").mkdir(parents=True, exist_ok=True)
    for page in (ROOT / "content" / "pages").glob("*.md"):
        shutil.copy(page, content / "pages" / page.name)
    for name, text in (pages or {}).items():
        (content / "pages" / name).write_text(text, encoding="utf-8")
    environment = {**os.environ, "SHAFAF_SITEURL": SITEURL, "SHAFAF_PUBLICATION_DATE": date,
                   "PYTHONHASHSEED": "0", **env}
    environment.pop("FORCE", None) if "FORCE" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "pipeline.publish", "--exports", str(exports), "--output", str(work / "output"),
         "--content", str(content), "--reports", str(work / "reports"), "--state", str(work / "state"),
         "--cache", str(work / "cache"), *args],
        cwd=ROOT, capture_output=True, text=True, env=environment, check=False)


def good_exports(folder: Path) -> Path:
    return write_exports(
        folder,
        rulings=[ruling(ruling_no="1402/3/100"),
                 ruling(ruling_no="1402/3/101", case_no="۵۵۱۰۱", owner_name="کاوه صادقی")],
        violations=[violation(ruling_no="1402/3/100"), violation(ruling_no="1402/3/101")],
        properties=good_properties())


def good_properties() -> list[dict]:
    return [property_(), property_(property_code="P-07-0002", district="7", latitude=None, longitude=None,
                                   appraisal_rial=AMOUNT_PASSING_THE_CHECKSUM)]


AMOUNT_PASSING_THE_CHECKSUM = "1250005000"  # a Rial amount that happens to pass it


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A site published once: the 'old site' every refused publish must leave alone."""
    work = tmp_path_factory.mktemp("live")
    exports = good_exports(work / "exports")
    run = publish(exports, work)
    assert run.returncode == 0, run.stderr
    return work


@pytest.fixture
def site(live, tmp_path):
    """A private copy of the live site (output, state, reports) for one test to attack."""
    work = tmp_path / "work"
    for name in ("output", "state"):
        shutil.copytree(live / name, work / name, copy_function=shutil.copy2)
    return work


def test_publish_builds_a_checked_site(live):
    output = live / "output"
    assert (output / "index.html").is_file() and (output / "data" / "datapackage.json").is_file()
    assert not (live / "output.new").exists()
    assert (output / "data" / "2026-11-21" / "rulings.xlsx").is_file()
    assert (output / "feeds" / "changes.atom.xml").read_text("utf-8").count(f"{SITEURL}/rulings/") == 2
    assert json.loads((live / "state" / "published.json").read_text("utf-8"))["published"] == "2026-11-21"
    report = (live / "reports" / "report.html").read_text("utf-8")
    assert "Published 2026-11-21" in report and "FAILED" not in report
    assert not list(output.rglob("report.html")), "the staff report is never published"


def test_pelicans_caches_are_under_the_publishs_cache_folder(live):
    """Pelican's caches and the plugin's (record index, render manifest, charts, compiled
    templates) go where ``--cache`` says, never into the code folder's ``cache/pelican/``,
    which ``make html`` keeps: two sites built from one checkout share none of them."""
    def where(folder: Path) -> str:   # how the plugin names a folder's caches
        return hashlib.blake2b(str(folder.resolve()).encode(), digest_size=8).hexdigest()
    built, content = where(live / "output.new"), where(live / "content")
    ours = live / "cache" / "pelican"
    assert (ours / f"render-{built}.json").is_file()
    assert (ours / f"record-index-{content}.marshal").is_file()
    assert list((ours / f"charts-{built}").glob("*.svg"))
    assert list(ours.glob("jinja-*/*")), "the compiled templates"
    assert list(ours.glob("*Generator*")), "Pelican's own content cache"
    code = ROOT / "cache" / "pelican"
    # named by this test's own folders: nothing there can be another run's
    assert not [*code.glob(f"*{built}*"), *code.glob(f"*{content}*")]


@pytest.mark.parametrize("cache", ["given", None])
def test_pelican_is_told_the_publishs_cache_folder(tmp_path, monkeypatch, cache):
    """What Pelican is given, without building: ``<cache>/pelican`` (absolute, so a relative
    ``--cache`` means the folder the publish runs in, not the code folder Pelican runs in),
    or without a cache folder one of the build's own, gone when it ends."""
    from types import SimpleNamespace

    from pipeline import publish as publishing
    said = tmp_path / "argv.json"
    fake = tmp_path / "pelican"
    fake.write_text(f"#!{sys.executable}\nimport json, sys\nopen({str(said)!r}, 'w').write(json.dumps(sys.argv))\n")
    fake.chmod(0o755)
    monkeypatch.setattr(publishing.build, "write", lambda *args: None)
    monkeypatch.setattr(publishing, "carry_over_snapshots", lambda *args: 0)
    monkeypatch.chdir(tmp_path)
    options = publishing.Options(tmp_path / "exports", output=tmp_path / "output", pelican=str(fake),
                                 cache=Path("relative-cache") if cache else None)
    publication = SimpleNamespace(change_log=SimpleNamespace(published="2026-11-21"))
    assert publishing.build_into_fresh_folder(options, publication, None, SITEURL).removed == []
    argv = json.loads(said.read_text())
    given = argv[argv.index("-e") + 1]
    assert given.startswith("CACHE_PATH=")
    folder = Path(json.loads(given.removeprefix("CACHE_PATH=")))
    if cache:
        assert folder == tmp_path.resolve() / "relative-cache" / "pelican"
    else:
        assert folder.is_absolute() and not folder.parent.exists()
        assert not folder.is_relative_to(ROOT) and not folder.is_relative_to(tmp_path)


def test_the_private_values_are_made_in_a_process_forked_before_the_build(tmp_path, monkeypatch):
    """At 100k rulings the publish's process holds the whole build when the gates run; the
    private values (and their matcher, and the scan) would add 400 MB to it. They are made by
    a process forked once the exports are validated: what the tables decide at once, while the
    build goes on, and what earlier publications published when the gate starts it."""
    from pipeline import pages, parallel
    from pipeline import publish as publishing
    events = tmp_path / "events"

    def note(what: str) -> None:
        with open(events, "a", encoding="utf-8") as handle:
            handle.write(f"{what} {os.getpid()}\n")
    candidates, values = gates.private_candidates, gates.Candidates.values
    waiting, write_content = parallel.Waiting.__init__, pages.write_content
    monkeypatch.setattr(gates, "private_candidates", lambda *a, **k: note("candidates") or candidates(*a, **k))
    monkeypatch.setattr(gates.Candidates, "values", lambda *a, **k: note("values") or values(*a, **k))
    monkeypatch.setattr(parallel.Waiting, "__init__", lambda self, f, **k: note("forked") or waiting(self, f, **k))
    monkeypatch.setattr(pages, "write_content", lambda *a, **k: note("pages") or write_content(*a, **k))
    monkeypatch.setenv("SHAFAF_SITEURL", SITEURL)
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content" / "pages", content / "pages")
    exports = good_exports(tmp_path / "exports")
    code = publishing.main(["--exports", str(exports), "--output", str(tmp_path / "output"), "--content", str(content),
                            "--reports", str(tmp_path / "reports"), "--state", str(tmp_path / "state"),
                            "--cache", str(tmp_path / "cache"), "--date", "2026-11-21"])
    assert code == 0
    said = dict(line.split() for line in events.read_text(encoding="utf-8").splitlines())
    assert sorted(said) == ["candidates", "forked", "pages", "values"]
    here = str(os.getpid())
    assert said["forked"] == said["pages"] == here
    assert said["candidates"] == said["values"] != here   # in the gate's process, made early (test_parallel)


def test_frictionless_and_the_links_are_checked_beside_the_personal_data_gate(tmp_path, monkeypatch):
    """Frictionless, the link gate and the personal-data gate each in a process of its own,
    side by side: the first two started before the gate's verdict is awaited, their verdicts
    read after it (one after the other, at 100k, they cost the link gate's and frictionless's
    time again), and the link index never made in the publish's process, which holds the build."""
    from pipeline import parallel
    from pipeline import publish as publishing
    events = tmp_path / "events"

    def note(what: str) -> None:
        with open(events, "a", encoding="utf-8") as handle:
            handle.write(f"{what} {os.getpid()}\n")
    start, verdict, scan = gates.Frictionless.__init__, gates.Frictionless.findings, gates.scan_personal_data
    links, awaited, forked = gates.check_links, parallel.Waiting.result, parallel.Forked.__init__
    monkeypatch.setattr(gates.Frictionless, "__init__", lambda self, *a: start(self, *a) or note("frictionless-started"))
    monkeypatch.setattr(gates.Frictionless, "findings", lambda self: note("frictionless-read") or verdict(self))
    monkeypatch.setattr(gates, "scan_personal_data", lambda *a, **k: note("scan") or scan(*a, **k))
    monkeypatch.setattr(gates, "check_links", lambda *a, **k: note("links") or links(*a, **k))
    monkeypatch.setattr(parallel.Waiting, "result", lambda self: note("gate-awaited") or awaited(self))
    monkeypatch.setattr(parallel.Forked, "__init__",
                        lambda self, f, *a, **k: note(f"forked-{getattr(f, '__name__', '?')}") or forked(self, f, *a, **k))
    monkeypatch.setenv("SHAFAF_SITEURL", SITEURL)
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content" / "pages", content / "pages")
    code = publishing.main(["--exports", str(good_exports(tmp_path / "exports")), "--output", str(tmp_path / "output"),
                            "--content", str(content), "--reports", str(tmp_path / "reports"),
                            "--state", str(tmp_path / "state"), "--cache", str(tmp_path / "cache"),
                            "--date", "2026-11-21"])
    assert code == 0
    said = [line.split() for line in events.read_text(encoding="utf-8").splitlines()]
    here = str(os.getpid())
    gate_steps = [what for what, pid in said if pid == here and not what.startswith("forked-")
                  or what == "forked-links_check"]
    assert gate_steps == ["frictionless-started", "forked-links_check", "gate-awaited", "frictionless-read"]
    elsewhere = {what: pid for what, pid in said if pid != here}
    assert set(elsewhere) == {"scan", "links"} and elsewhere["scan"] != elsewhere["links"]
    assert [what for what, _ in said].index("scan") < [what for what, _ in said].index("frictionless-read")
    index = json.loads((tmp_path / "state" / "site-index.json").read_text(encoding="utf-8"))
    assert index["links"] and index["targets"], "the state's link index, made from the saved one"


def test_a_frictionless_refusal_is_reported_after_the_gate_and_its_process_ends(site, tmp_path):
    """Started beside the gate, a failing frictionless still refuses, with its own findings."""
    data = site / "output" / "data"
    validating = gates.Frictionless(data / "datapackage.json", "/bin/false")
    assert [f.cause for f in validating.findings()][0].startswith("frictionless failed")
    stuck = tmp_path / "stuck-frictionless"
    stuck.write_text("#!/bin/sh\nexec sleep 600\n")
    stuck.chmod(0o755)
    slow = gates.Frictionless(data / "datapackage.json", str(stuck))
    slow.stop()   # as a personal-data refusal does
    assert slow._process.returncode == -9


def test_gz_copies_decompress_to_their_originals(live):
    output = live / "output"
    texts = [p for p in output.rglob("*") if p.is_file() and p.suffix in GZIP_SUFFIXES]
    assert len(texts) > 20
    for path in texts:
        packed = path.with_name(path.name + ".gz").read_bytes()
        assert gzip.decompress(packed) == path.read_bytes(), path
        assert packed[4:8] == b"\0\0\0\0", "gzip mtime 0: the same file gives the same bytes"
    assert not list(output.rglob("*.xlsx.gz")) and not list(output.rglob("*.gz.gz"))


def test_frictionless_accepts_the_published_datapackage(live):
    run = subprocess.run([str(Path(sys.executable).parent / "frictionless"), "validate",
                          str(live / "output" / "data" / "datapackage.json")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:]


def test_frictionless_gate_sees_a_tampered_csv(site):
    data = site / "output" / "data"
    (data / "rulings.csv").write_bytes((data / "rulings.csv").read_bytes() + b"x,y\r\n")
    findings = gates.frictionless(data / "datapackage.json", str(Path(sys.executable).parent / "frictionless"))
    assert findings and any("rulings" in f.file or "rulings" in f.cause for f in findings), findings


def _missing(exports: Path):
    (exports / "properties.xlsx").unlink()


def _unreadable(exports: Path):
    (exports / "rulings.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")


def _renamed_column(exports: Path):
    write_exports(exports, headers={"rulings": [("تاریخ" if f.name == "ruling_date" else f.header)
                                                for f in build.RULINGS.fields]})


def _too_many_rejected(exports: Path):
    write_exports(exports, rulings=[ruling(), ruling(ruling_no="1402/3/101", ruling_date="1402/13/01")],
                  violations=[violation()])


def _owner_name_elsewhere(exports: Path):
    # Redaction masks a ruling's own owner in its own row; here the owner of 1402/3/100
    # (factory default «بهرام نیک‌نام») is typed into another ruling's neighbourhood.
    write_exports(exports, rulings=[ruling(), ruling(ruling_no="1402/3/101", owner_name="کاوه صادقی",
                                                     neighbourhood="بهرام نیک‌نام")],
                  violations=[violation(), violation(ruling_no="1402/3/101")], properties=good_properties())


BAD_INPUT = [
    # (case, damage, staff pages, exit code, texts the message must hold)
    ("missing export", _missing, None, 2, ["properties", "missing-file"]),
    ("unreadable export", _unreadable, None, 2, ["rulings.xlsx", "unreadable-file"]),
    ("renamed required column", _renamed_column, None, 2, ["rulings.xlsx", "missing-column", "تاریخ رأی"]),
    ("rejected share", _too_many_rejected, None, 1, ["rejected-share", "rulings.xlsx", "1 of 2"]),
    ("national ID in a page", None, {"contact.md": f"Title: تماس\nSlug: contact\n\nکد ملی {VALID_NATIONAL_ID}\n"},
     1, ["personal-data", "output.new/contact/index.html", "national ID"]),
    ("private value in a page and a CSV", _owner_name_elsewhere, None, 1,
     ["personal-data", "output.new/data/rulings.csv", "output.new/rulings/1402-3-101/index.html", "private column"]),
    ("broken link", None, {"links.md": "Title: پیوندها\nSlug: links\n\n[گم](/no-such-page/)\n"},
     1, ["links", "output.new/links/index.html", "/no-such-page/"]),
]


@pytest.mark.parametrize("case,damage,pages,code,expected", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_a_failing_gate_leaves_the_live_site_byte_identical(site, case, damage, pages, code, expected):
    exports = good_exports(site / "exports")
    if damage:
        damage(exports)
    before, state_before = tree(site / "output"), tree(site / "state")
    run = publish(exports, site, date="2026-11-28", pages=pages)
    assert run.returncode == code, run.stdout[-3000:] + run.stderr
    for text in expected:
        assert text in run.stderr, (text, run.stderr)
    assert "was not changed" in run.stderr
    assert VALID_NATIONAL_ID not in run.stderr, "the message masks what it found"
    assert tree(site / "output") == before
    assert tree(site / "state") == state_before, "a refused publish does not move the baseline"
    assert not (site / "output.prev").exists()


def test_force_publishes_past_the_rejected_share(site):
    exports = good_exports(site / "exports")
    _too_many_rejected(exports)
    run = publish(exports, site, date="2026-11-28", FORCE="1")
    assert run.returncode == 0, run.stderr


def test_a_second_publish_swaps_and_keeps_the_previous_site(site):
    before, state_before = tree(site / "output"), tree(site / "state")
    exports = write_exports(site / "exports", rulings=[ruling(), ruling(ruling_no="1402/9/102", case_no="۵۵۱۰۲",
                                                                        ruling_date="۱۴۰۲/۰۹/۰۱")],
                            violations=[violation(), violation(ruling_no="1402/9/102")])
    # half of this tiny registry is withdrawn: above the default shrink limit
    run = publish(exports, site, date="2026-11-28", SHAFAF_MAX_SHRINK="0.5")
    assert run.returncode == 0, run.stderr
    assert tree(site / "output.prev") == before
    assert tree(site / "state.prev") == state_before and tree(site / "state") != state_before
    output = site / "output"
    log = (output / "data" / "changes.csv").read_text("utf-8-sig").splitlines()
    assert "2026-11-28,rulings,1402/9/102,1402-9-102,added," in log
    assert "2026-11-28,rulings,1402/3/101,,withdrawn," in log
    assert "2026-11-28,properties,P-07-0002,,withdrawn," in log
    # the first publication's snapshot is carried over, the second one is added
    assert (output / "data" / "2026-11-21" / "rulings.csv").read_bytes() == \
        (site / "output.prev" / "data" / "rulings.csv").read_bytes()
    assert (output / "data" / "2026-11-28" / "rulings.csv").read_bytes() == (output / "data" / "rulings.csv").read_bytes()


def test_a_publication_date_going_back_is_refused(site):
    before = tree(site / "output")
    run = publish(good_exports(site / "exports"), site, date="2026-11-01")
    assert run.returncode == 1 and "publication-date" in run.stderr and "published.json" in run.stderr
    assert tree(site / "output") == before


def test_publish_refuses_without_a_site_address(site):
    before = tree(site / "output")
    run = publish(good_exports(site / "exports"), site, SHAFAF_SITEURL="")
    assert run.returncode == 1 and "SHAFAF_SITEURL" in run.stderr
    assert tree(site / "output") == before


def test_a_malformed_today_is_a_refusal_not_a_traceback(site):
    before = tree(site / "output")
    run = publish(good_exports(site / "exports"), site, SHAFAF_TODAY="1403/01/01")
    assert run.returncode == 1 and "settings" in run.stderr and "SHAFAF_TODAY" in run.stderr
    assert "Traceback" not in run.stderr
    assert tree(site / "output") == before


# --- the personal-data scan on its own --------------------------------------------------

@pytest.fixture(scope="module")
def tiny_private(tmp_path_factory):
    exports = good_exports(tmp_path_factory.mktemp("exports"))
    return gates.private_values(build.prepare(exports, settings.load(), "2026-11-21").validated)


@pytest.mark.parametrize("where", ["rulings/1402-3-100/index.html", "data/rulings.csv", "data/rulings.xlsx"])
@pytest.mark.parametrize("planted,cause", [
    (VALID_NATIONAL_ID, "national ID"),
    ("۰۴۹۹۳۷۰۸۹۹", "national ID"),                 # Persian digits, as pages show numbers
    ("0912 123 4567", "mobile number"),
    ("کاوه   صادقي", "private column"),             # an owner's name, spaced and spelled otherwise
])
def test_scan_catches_what_is_planted(live, tmp_path, tiny_private, where, planted, cause):
    output = tmp_path / "output"
    shutil.copytree(live / "output", output)
    assert gates.scan_personal_data(output, tiny_private) == []
    target = output / where
    if target.suffix == ".xlsx":
        import openpyxl
        book = openpyxl.load_workbook(target)
        book.active.cell(2, 3).value = f"پرونده {planted}"
        book.save(target)
    else:
        text = target.read_text("utf-8")
        target.write_text(text.replace("مهرشهر", f"مهرشهر {planted}", 1), encoding="utf-8")
    findings = gates.scan_personal_data(output, tiny_private)
    assert findings and all(f.file.startswith(where) for f in findings), findings
    assert cause in findings[0].cause


def test_scan_leaves_amounts_and_invalid_numbers_alone(tmp_path, tiny_private):
    amounts = sorted(n for n in tiny_private.public_numbers if len(n) == 10)
    assert AMOUNT_PASSING_THE_CHECKSUM in amounts
    page = tmp_path / "page.html"
    # 1234567890 fails the checksum; a published amount may pass it by chance; a hash is no ID.
    page.write_text(f"<p>1234567890 {' '.join(amounts)} a{VALID_NATIONAL_ID}f</p>", encoding="utf-8")
    assert gates.scan_personal_data(tmp_path, tiny_private) == []
    page.write_text(f"<p>{VALID_NATIONAL_ID}</p>", encoding="utf-8")
    assert gates.scan_personal_data(tmp_path, tiny_private)


def test_scan_finds_nothing_on_the_sample_site(sample_site):
    publication = build.prepare(sample_site.exports, settings.load(), "2026-11-21")
    assert gates.scan_personal_data(sample_site.output, gates.private_values(publication.validated)) == []


def test_a_script_regular_expression_is_no_json_escape(tmp_path, tiny_private):
    """`\\B` in a script (a word-boundary escape) once raised KeyError inside the gate: a
    traceback instead of a verdict. It is read as it is, and an ID after it is still found."""
    script = tmp_path / "filter.js"
    script.write_text(r'const group = /\B(?=(\d{3})+(?!\d))/g; const s = "\u0041\B";', encoding="utf-8")
    assert gates.scan_personal_data(tmp_path, tiny_private) == []
    script.write_text(rf'const re = /\B/; const id = "{VALID_NATIONAL_ID}";', encoding="utf-8")
    assert gates.scan_personal_data(tmp_path, tiny_private)


@pytest.mark.parametrize("name, text, found", [
    ("words.json", '["آزاد","کاوه","صادقی","مهرشهر"]', False),      # a sorted word list: two values
    ("record.json", '{"owner": "کاوه  صادقي"}', True),               # one value holds the name
    ("record.json", '{"note": "از \\"کاوه صادقی\\" شکایت"}', True),   # escaped quotes around it
    ("points.geojson", '{"properties": {"t": "کاوه صادقی"}}', True),
    ("page.html", "<p>کاوه صادقی</p>", True),                         # HTML as before
])
def test_a_name_is_looked_for_within_one_json_value(tmp_path, tiny_private, name, text, found):
    """Found by the 10k publish: the search index's sorted word lists put a first name beside a
    surname, and the gate refused a site that held no name at all."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert bool(gates.scan_personal_data(tmp_path, tiny_private)) is found
