"""The publish gate's personal-data scan: the spellings redaction masks are caught in every kind
of built file, public numbers are not, and private values come from rejected rows too."""
from __future__ import annotations

import html
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import build_site
from factory import property_, ruling, violation, write_exports
from pipeline import build, gates, personal, settings

VECTORS = json.loads((Path(__file__).parent / "personal_vectors.json").read_text("utf-8"))
# The gate does not look for postal codes: redaction masks them in text, and a ten-digit
# number shaped like one is too common in a built site to refuse it.
PERSONAL = [v for v in VECTORS["personal"] if v["kind"] != personal.POSTAL]
PUBLIC = VECTORS["public"]
CAUSE = {personal.NATIONAL_ID: "national ID", personal.MOBILE: "mobile number"}


def _html(text: str) -> str:
    """As a template might write it: every character beyond ASCII, and some digits, as entities."""
    return "".join(f"&#x{ord(c):x};" if ord(c) > 127 or c in "05" else html.escape(c) for c in text)


def _plant(folder: Path, fmt: str, text: str) -> Path:
    sentence = f"شرح: {text} ثبت شد"
    folder.mkdir(exist_ok=True)
    if fmt == "html":
        (folder / "page.html").write_text(f"<p>{_html(sentence)}</p>", encoding="utf-8")
    elif fmt == "json":
        (folder / "rulings.json").write_text(json.dumps({"ruling_text": sentence}), encoding="utf-8")
    elif fmt == "csv":
        (folder / "rulings.csv").write_text(f"ruling_no,ruling_text\r\n1402/3/100,{sentence}\r\n", encoding="utf-8-sig")
    elif fmt == "xlsx":
        book = openpyxl.Workbook()
        book.active.append(["ruling_no", "ruling_text"])
        book.active.append(["1402/3/100", sentence])
        book.save(folder / "rulings.xlsx")
    else:
        # The all-datasets download: a zip of the planted file of another format, which is
        # not beside it in the site (a file that is would be read as itself).
        inner = fmt.split("-")[1]
        _plant(folder / "inside", inner, text)
        with zipfile.ZipFile(folder / "shafaf-data.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for path in (folder / "inside").iterdir():
                archive.write(path, path.name)
        shutil.rmtree(folder / "inside")
    return folder


def _private(published=(), digits=()) -> gates.PrivateValues:
    return gates.PrivateValues({}, set(published), frozenset(digits))


FORMATS = ["html", "json", "csv", "xlsx", "zip-csv", "zip-json", "zip-xlsx"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("vector", PERSONAL, ids=[f"{v['kind']}: {v['why']}" for v in PERSONAL])
def test_gate_catches_every_spelling_in_every_format(tmp_path, vector, fmt):
    findings = gates.scan_personal_data(_plant(tmp_path, fmt, vector["text"]), _private())
    assert len(findings) == 1, findings
    assert CAUSE[vector["kind"]] in findings[0].cause


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("vector", PUBLIC, ids=[v["why"] for v in PUBLIC])
def test_gate_leaves_public_numbers_alone(tmp_path, vector, fmt):
    folder = _plant(tmp_path, fmt, vector["text"])
    assert gates.scan_personal_data(folder, _private(vector.get("published", ()))) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_private_number_is_caught_whatever_its_checksum(tmp_path, fmt):
    # An owner's ID with a typo fails the checksum: only the list of private values finds it.
    folder = _plant(tmp_path, fmt, "۰ ۴ ۹ ۹ ۳ ۷ ۰ ۸ ۹ ۸")
    assert gates.scan_personal_data(folder, _private()) == []
    findings = gates.scan_personal_data(folder, _private(digits={"0499370898"}))
    assert [f.cause for f in findings] == ["a value of a private column (04…98)"]


def test_a_zip_member_that_is_the_file_beside_it_is_read_once_as_that_file(tmp_path):
    """The zip of all datasets holds the datasets: the same bytes are read once, in the file
    of the site, and found there; a member that differs from its namesake is read itself."""
    _plant(tmp_path, "csv", PERSONAL[0]["text"])
    with zipfile.ZipFile(tmp_path / "shafaf-data.zip", "w") as archive:
        archive.write(tmp_path / "rulings.csv", "rulings.csv")
    assert [f.file for f in gates.scan_personal_data(tmp_path, _private())] == ["rulings.csv:2"]
    (tmp_path / "rulings.csv").write_text("ruling_no\r\n", encoding="utf-8")
    assert [f.file.split(":")[0] for f in gates.scan_personal_data(tmp_path, _private())] == \
        ["shafaf-data.zip!rulings.csv"]


def test_a_json_surrogate_pair_hides_nothing(tmp_path):
    (tmp_path / "index.json").write_text('{"t": "0499\\udb40\\udc20370899"}', encoding="utf-8")
    assert gates.scan_personal_data(tmp_path, _private())


# --- private values: every row the exports hold ------------------------------------------

ID_WITH_A_TYPO = "049-937089-8"    # fails the checksum: no pattern finds it
PRIVATE_PLATE = "۷۷۷۷/۱۲"


@pytest.fixture(scope="module")
def rejected_row_values(tmp_path_factory):
    exports = write_exports(tmp_path_factory.mktemp("exports"), rulings=[
        ruling(ruling_no="1402/3/100"),
        # rejected (impossible date): its private cells must still be looked for
        ruling(ruling_no="1402/3/101", ruling_date="1402/13/01", owner_name="کاوه صادقی",
               owner_national_id=ID_WITH_A_TYPO, owner_mobile="0935 765 4321", plate=PRIVATE_PLATE,
               address="کرج، گوهردشت، خیابان لاله، پلاک 17، واحد 4"),
    ], violations=[violation(ruling_no="1402/3/100")])
    validated = build.prepare(exports, settings.load(), "2026-11-21").validated
    assert validated.rulings.rejected == 1
    return gates.private_values(validated)


@pytest.mark.parametrize("leaked,expected", [
    ("0 4 9 9 3 7 0 8 9 8", "04…98"),              # the rejected row's ID, spelled otherwise
    ("۰۴۹۹۳۷۰۸۹۸", "04…98"),
    ("۷۷۷۷/۱۲", "77…12"),                          # its private plate
    ("کاوه صادقی", "کا…قی"),                       # its owner
    ("کرج، گوهردشت، خیابان لاله، پلاک ۱۷، واحد ۴", "کر… 4"),  # its full address
])
def test_private_values_include_the_cells_of_rejected_rows(tmp_path, rejected_row_values, leaked, expected):
    page = tmp_path / "index.html"
    page.write_text(f"<p>رأی دیگر: {leaked}</p>", encoding="utf-8")
    findings = gates.scan_personal_data(tmp_path, rejected_row_values)
    assert [f.cause for f in findings] == [f"a value of a private column ({expected})"]


def test_the_coarsened_address_is_not_a_private_value(tmp_path, rejected_row_values):
    (tmp_path / "index.html").write_text("<p>کرج، گوهردشت، خیابان لاله</p>", encoding="utf-8")
    assert gates.scan_personal_data(tmp_path, rejected_row_values) == []


# --- a whole site: what is planted in any public cell reaches no file --------------------

PLANTED = {
    "ruling_text": "مالک با کد ملی 001-234-5679 و همراه (0912) 123 4567 حاضر شد.",
    "neighbourhood": "مهرشهر ۴۲۷.۹۵۳۸۱۵.۸",
    "address": "کرج، مهرشهر، بلوار ارم ۰۹۱۲/۱۲۳/۴۵۶۷",
    "council_rep": "علی کریمی +98 912 123 4567",
    "judiciary_rep": "مریم احمدی 0 6 8 2 5 1 7 4 3 7",
    "interior_rep": "حسن رضایی 9121234567",
    "commission": "بدوی ۳ 0499\u2060370899",
}
PLANTED_PROPERTY = {"title": "زمین بایر 0098-912-123-4567", "address": "کرج، ارم ۴۲۷/۹۵۳۸۱۵/۸",
                    "neighbourhood": "مهرشهر 0499\u200b370899"}
SECRETS = {"0012345679", "09121234567", "4279538158", "0682517437", "0499370899"}


@pytest.fixture(scope="module")
def planted_site(tmp_path_factory):
    work = tmp_path_factory.mktemp("planted")
    exports = write_exports(work / "exports", rulings=[ruling(ruling_no="1402/3/100", **PLANTED),
                                                       ruling(ruling_no="1402/3/101", case_no="۵۵۱۰۱")],
                            violations=[violation(ruling_no="1402/3/100"), violation(ruling_no="1402/3/101")],
                            properties=[property_(**PLANTED_PROPERTY)])
    return build_site(exports, work)


def _texts(output: Path):
    for path in sorted(p for p in output.rglob("*") if p.is_file()):
        for where, text in gates.readable_text(path):
            yield where, text


def test_planted_spellings_reach_no_output_file(planted_site):
    # the digits in order, at most four other characters between two of them
    spelled = {s: re.compile(r"\D{0,4}".join(s)) for s in SECRETS}
    leaks = []
    for where, text in _texts(planted_site.output):
        for value in (*PLANTED.values(), *PLANTED_PROPERTY.values()):
            number = re.search(r"[+(]?\d[\d\s\-./()\u2060\u200b]*\d", value).group()
            if number in text:
                leaks.append((where, number))
        leaks += [(where, secret) for secret, pattern in spelled.items() if pattern.search(text)]
    assert not leaks, leaks[:10]
    assert gates.scan_personal_data(planted_site.output, _private(digits=SECRETS)) == []


def test_member_names_keep_their_words_and_their_one_page(planted_site):
    rulings = json.loads((planted_site.output / "data" / "rulings.json").read_text("utf-8"))
    planted = next(r for r in rulings if r["ruling_no"] == "1402/3/100")
    assert [planted[role] for role in ("council_rep", "judiciary_rep", "interior_rep")] == \
        ["علی کریمی", "مریم احمدی", "حسن رضایی"]
    members = planted_site.output / "members"
    assert sorted(p.name for p in members.glob("*/*") if p.is_dir()) == ["حسن-رضایی", "علی-کریمی", "مریم-احمدی"]


def test_the_words_of_the_private_values_are_one_object_each():
    """A first name or a street shared by many values is held once (memory: a 100k build has
    hundreds of thousands of private values, each folded into words of its own)."""
    from types import SimpleNamespace

    import pandas as pd
    from pipeline.schema import TABLES
    rulings = next(t for t in TABLES if t.name == "rulings")
    frame = pd.DataFrame({"owner_name": ["کاوه صادقی", "کاوه احمدی", "مریم صادقی"]})
    checked = [SimpleNamespace(table=rulings, frame=frame, rejected_rows=frame.iloc[0:0])]
    private = gates.private_values(SimpleNamespace(tables=lambda: checked))
    words = [word for by_length in private.sequences.values() for group in by_length.values()
             for sequence in group for word in sequence]
    assert len(words) == 6 and len({id(word) for word in words}) == len(set(words)) == 4


def test_values_made_in_two_steps_are_those_of_one():
    """The gate's process makes what the validated tables decide as soon as they are validated
    (``private_candidates``) and lets pass what earlier publications published once the site is
    built (``Candidates.values``): the same values as every rule applied at once to this
    build's and the earlier publications' published values together."""
    from types import SimpleNamespace

    import pandas as pd
    from pipeline.schema import TABLES
    rulings = next(t for t in TABLES if t.name == "rulings")
    frame = pd.DataFrame({"owner_name": ["کاوه صادقی", "مریم احمدی", "حسن رضایی"],
                          "address": ["کرج، شهرک مترو، خیابان یاس، پلاک 317", "کرج، عظیمیه، کوچه سوم، پلاک 9",
                                      "کرج، گوهردشت، خیابان لاله، پلاک 17، واحد 4"]})
    checked = [SimpleNamespace(table=rulings, frame=frame, rejected_rows=frame.iloc[0:0])]
    validated = SimpleNamespace(tables=lambda: checked)
    before = {tuple(gates.tokens(v)) for v in ("مریم احمدی", "استان البرز، کرج، شهرک مترو، خیابان یاس، پلاک 317")}

    private, digits = gates._private_cells([(rulings, frame)])
    legitimate = gates._published_elsewhere([(rulings, frame)]) | before
    looked_for = private.keys() - legitimate
    looked_for -= gates._held_within(legitimate, {s for s in looked_for if private[s] == gates.Kind.TEXT.value})

    found = gates.private_values(validated, before)
    sequences = {s for by_length in found.sequences.values() for group in by_length.values() for s in group}
    assert sequences == looked_for
    assert tuple(gates.tokens("کاوه صادقی")) in sequences
    assert tuple(gates.tokens("مریم احمدی")) not in sequences   # published before
    assert tuple(gates.tokens("کرج، شهرک مترو، خیابان یاس، پلاک 317")) not in sequences   # held within one
    assert tuple(gates.tokens("کرج، عظیمیه، کوچه سوم، پلاک 9")) in sequences
