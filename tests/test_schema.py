"""The schema owns field behaviour: each kind's parser, dataset type, CSV cell, dictionary label
and privacy treatment come from ``KIND_SPECS``; the rules about particular fields are
declarations on ``Field``/``Table`` that the generic stages honour for any table."""
from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import replace
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from factory import property_, ruling, violation, write_exports
from pipeline import datasets, downloads, gates, privacy, read, settings, validate
from pipeline.errors import CellError
from pipeline.files import Spool
from pipeline.schema import (
    HOLDER_KINDS, KIND_SPECS, NATURAL_PERSON, ORGANISATION, PROPERTIES, RULINGS, TABLES, VIOLATIONS, Field,
    ForeignKey, Kind, Privacy, Table, Visibility, When,
)
from plugins.shafaf.data_pages import dictionary, dictionary_entry

CITY = settings.load()
TODAY = dt.date(2026, 11, 30)
K = Kind


def _field(kind: Kind, **declared) -> Field:
    return Field("x", "ستون", "Column", kind, **declared)


def _table(*fields: Field, **declared) -> Table:
    declared.setdefault("key", (fields[0].name,))
    return Table(name="things", title_fa="چیزها", title_en="Things", sheet="چیزها", workbook="things",
                 fields=fields, noun_fa="چیز", **declared)


def _csv_cells(f: Field, value) -> list[str]:
    """The data row of a one-column dataset, as the CSV file holds it."""
    text = datasets.to_csv(_table(f), [{f.name: value}]).decode("utf-8-sig")
    return text.split("\r\n")[1:-1]


# --- each kind ------------------------------------------------------------------------------

# (kind, field declarations, raw cell, parsed value, frictionless type, format, CSV cell)
KIND_CASES = [
    (K.KEY, {}, " ۱۴۰۲ / ۳ / ۱۰۰ ", "1402/3/100", "string", None, "1402/3/100"),
    (K.KEY, {}, "=HYPERLINK(1)", "=HYPERLINK(1)", "string", None, "'=HYPERLINK(1)"),
    (K.TEXT, {}, "  بلوار   ارم ", "بلوار ارم", "string", None, "بلوار ارم"),
    (K.TEXT, {}, "-دوم", "-دوم", "string", None, "'-دوم"),
    (K.TEXT, {}, "@SUM(A1)", "@SUM(A1)", "string", None, "'@SUM(A1)"),
    (K.LONG_TEXT, {}, "سطر یک\nسطر دو", "سطر یک\nسطر دو", "string", None, '"سطر یک\nسطر دو"'),
    (K.LONG_TEXT, {}, "+98 912", "+98 912", "string", None, "'+98 912"),
    (K.PERSON, {}, "علی  كريمی", "علی کریمی", "string", None, "علی کریمی"),
    (K.PERSON, {}, "=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0", "string", None, "'=cmd|' /C calc'!A0"),
    (K.DATE, {}, "۱۴۰۲/۰۵/۱۲", "2023-08-03", "date", "%Y-%m-%d", "2023-08-03"),
    (K.DATE, {}, dt.datetime(2023, 8, 3, 10, 0), "2023-08-03", "date", "%Y-%m-%d", "2023-08-03"),
    (K.ENUM, {"enum": HOLDER_KINDS}, "حقوقي", ORGANISATION, "string", None, ORGANISATION),
    (K.INTEGER, {}, "۱۲۰٬۰۰۰", 120000, "integer", None, "120000"),
    (K.INTEGER, {}, "-5", -5, "integer", None, "-5"),      # a negative amount is data, not a formula
    (K.INTEGER, {}, 7.0, 7, "integer", None, "7"),
    (K.DECIMAL, {}, "۲٫۵", 2.5, "number", None, "2.5"),
    (K.DECIMAL, {}, "-0.5", -0.5, "number", None, "-0.5"),
    (K.DISTRICT, {}, "منطقه ۵", 5, "integer", None, "5"),
]


@pytest.mark.parametrize("kind, declared, raw, parsed, type_, format_, cell", KIND_CASES,
                         ids=[f"{c[0].value}-{i}" for i, c in enumerate(KIND_CASES)])
def test_each_kind_parses_types_and_writes_its_cell(kind, declared, raw, parsed, type_, format_, cell):
    f = _field(kind, **declared)
    value = f.parser(CITY, TODAY)(raw)
    assert value == parsed and type(value) is type(parsed)
    descriptor = datasets.field_descriptor(f, CITY)
    assert descriptor["type"] == type_
    assert descriptor.get("format") == format_
    assert _csv_cells(f, value) == [cell]


@pytest.mark.parametrize("kind, declared, raw, parsed", [c[:4] for c in KIND_CASES],
                         ids=[f"{c[0].value}-{i}" for i, c in enumerate(KIND_CASES)])
def test_each_kind_is_a_typed_cell_in_the_workbook(kind, declared, raw, parsed):
    f = _field(kind, **declared)
    book = openpyxl.load_workbook(io.BytesIO(downloads.xlsx(_table(f), [{f.name: parsed}], "2026-11-28")))
    cell = book.active.cell(2, 1)
    expected = {"string": str, "date": dt.datetime, "integer": int, "number": (int, float)}
    assert isinstance(cell.value, expected[KIND_SPECS[kind].dataset_type])
    assert cell.data_type == {"string": "s", "date": "d"}.get(KIND_SPECS[kind].dataset_type, "n")


@pytest.mark.parametrize("value", [-1, 2.5])
def test_a_text_kind_value_that_is_a_number_is_a_string_cell_in_the_workbook(value):
    book = openpyxl.load_workbook(io.BytesIO(downloads.xlsx(_table(_field(K.TEXT)), [{"x": value}], "2026-11-28")))
    assert book.active.cell(2, 1).value == str(value)


def test_every_kind_is_declared_once():
    assert set(KIND_SPECS) == set(Kind)
    assert {f.kind for t in TABLES for f in (*t.fields, *t.derived)} <= set(KIND_SPECS)


@pytest.mark.parametrize("kind, raw, code", [
    (K.KEY, "x" * 65, "key-too-long"),
    (K.KEY, "0499370899", "personal-data-in-key"),
    (K.DATE, "۱۴۰۲/۱۲/۳۰", "bad-date"),
    (K.DATE, "1299/01/01", "bad-date"),
    (K.DATE, "=TODAY()", "bad-date"),
    (K.INTEGER, "1.5", "bad-number"),
    (K.INTEGER, "=1+1", "bad-number"),
    (K.INTEGER, float("nan"), "bad-number"),
    (K.DECIMAL, "inf", "bad-number"),
    (K.DECIMAL, True, "bad-number"),
    (K.DISTRICT, "منطقه ۰", "out-of-range"),
    (K.DISTRICT, "منطقه ۹۹", "out-of-range"),
    (K.ENUM, "هیچ‌کدام", "unknown-enum"),
])
def test_each_kind_rejects_hostile_cells_with_a_stable_code(kind, raw, code):
    parse = _field(kind, enum=HOLDER_KINDS if kind is K.ENUM else ()).parser(CITY, TODAY)
    with pytest.raises(CellError) as raised:
        parse(raw)
    assert raised.value.code == code


@pytest.mark.parametrize("value", [-1, 3, 2.5, "=1+1"])
def test_a_text_kind_cell_is_neutralised_whatever_the_type_of_its_value(value):
    # A text field's value that is no str (a number from a JSON round trip) is still text.
    (cell,) = _csv_cells(_field(K.TEXT), value)
    assert not cell.startswith(("=", "+", "-", "@"))
    (number,) = _csv_cells(_field(K.INTEGER), -1)
    assert number == "-1"


@pytest.mark.parametrize("kind", list(Kind), ids=[k.value for k in Kind])
def test_the_dictionary_shows_each_kind_by_its_declared_labels(kind):
    entry = dictionary_entry(_field(kind, enum=HOLDER_KINDS if kind is K.ENUM else ()), districts=12)
    assert (entry["type_fa"], entry["type_en"]) == (KIND_SPECS[kind].label_fa, KIND_SPECS[kind].label_en)
    assert (entry["allowed"] == "۱ تا 12") is (kind is K.DISTRICT)


def test_a_district_field_is_bounded_by_the_city_in_the_datapackage():
    constraints = datasets.field_descriptor(_field(K.DISTRICT), CITY)["constraints"]
    assert constraints == {"minimum": 1, "maximum": CITY.districts}


# --- declarations ---------------------------------------------------------------------------

def test_bounds_setting_ranges_any_field_by_the_citys_setting_not_by_its_name():
    low, high = CITY.latitude
    parse = Field("y", "عرض", "Lat", K.DECIMAL, bounds_setting="latitude").parser(CITY, TODAY)
    assert parse(str(low)) == low
    with pytest.raises(CellError) as raised:
        parse(str(high + 1))
    assert raised.value.code == "out-of-range"
    unbounded = Field("latitude", "عرض", "Lat", K.DECIMAL).parser(CITY, TODAY)
    assert unbounded(str(high + 1)) == high + 1


def _validated(tmp_path, change_properties=None, **rows):
    exports = read.read_exports(write_exports(tmp_path / "exports", **rows))
    if change_properties:
        exports.properties.table = change_properties(exports.properties.table)
    return validate.validate(exports, CITY)


def _codes(checked) -> list[tuple[int, str, str]]:
    return [(p["row"], p["column"], p["code"]) for p in checked.problems]


def test_a_declared_foreign_key_is_checked_on_any_table(tmp_path):
    by_ruling = ForeignKey("property_code", RULINGS.name, "ruling_no")
    validated = _validated(
        tmp_path, lambda table: replace(table, foreign_keys=(by_ruling,)),
        rulings=[ruling(), ruling(ruling_no="1402/3/101", ruling_date="1402/12/30")],
        violations=[violation()],
        properties=[property_(property_code="1402/3/100"), property_(property_code="P-1"),
                    property_(property_code="1402/3/101")])
    assert _codes(validated.properties) == [(3, "کد ملک", "orphan-violation"), (4, "کد ملک", "orphan-of-rejected")]
    assert validated.properties.problems[0]["reason"] == "رأی «P-1» در برگه‌ی آرا نیست"
    assert list(validated.properties.frame["property_code"]) == ["1402/3/100"]


def test_violations_without_their_declared_foreign_key_are_not_orphans(tmp_path):
    exports = read.read_exports(write_exports(tmp_path / "exports", violations=[violation(ruling_no="1402/9/9")]))
    exports.violations.table = replace(VIOLATIONS, foreign_keys=())
    validated = validate.validate(exports, CITY)
    assert validated.violations.problems == [] and validated.violations.published == 1


@pytest.mark.parametrize("table, keys", [
    (VIOLATIONS, [{"fields": ["ruling_no"], "reference": {"resource": "rulings", "fields": ["ruling_no"]}}]),
    (replace(VIOLATIONS, foreign_keys=()), None),
    (replace(PROPERTIES, foreign_keys=(ForeignKey("plate", "rulings", "plate"),)),
     [{"fields": ["plate"], "reference": {"resource": "rulings", "fields": ["plate"]}}]),
])
def test_datapackage_writes_the_declared_foreign_keys(table, keys):
    assert datasets.table_schema(table, CITY).get("foreignKeys") == keys


def test_a_requirement_in_some_rows_is_checked_where_it_is_declared(tmp_path):
    kind_required = When("holder_kind", ORGANISATION)
    validated = _validated(
        tmp_path, lambda table: replace(table, fields=tuple(
            replace(f, required=kind_required) if f.name == "monthly_rent_rial" else f for f in table.fields)),
        properties=[property_(property_code="P-1", holder_kind=ORGANISATION, holder="سازمان پارک‌ها"),
                    property_(property_code="P-2", holder_kind=NATURAL_PERSON, holder="رضا موسوی"),
                    property_(property_code="P-3", holder_kind=ORGANISATION, holder="بنیاد",
                              monthly_rent_rial="100")])
    assert _codes(validated.properties) == [(2, "اجاره ماهانه (ریال)", "missing-required")]
    assert validated.properties.problems[0]["reason"] == f"ملک {ORGANISATION} باید «اجاره ماهانه (ریال)» داشته باشد"


def test_a_declared_period_is_checked_on_any_pair_of_dates(tmp_path):
    validated = _validated(
        tmp_path, lambda table: replace(table, periods=(("contract_end", "contract_start"),)),
        properties=[property_(property_code="P-1", contract_start="1402/01/01", contract_end="1401/01/01"),
                    property_(property_code="P-2", contract_start="1401/01/01", contract_end="1402/01/01")])
    # The declared order is (contract_end, contract_start): P-2 breaks it, P-1 keeps it.
    assert _codes(validated.properties) == [(3, "تاریخ شروع قرارداد", "date-order")]


def test_a_unique_field_and_a_numbered_field_are_honoured_on_any_table(tmp_path):
    numbered = Field("n", "ردیف", "Number", K.INTEGER, numbered_within="district")
    validated = _validated(
        tmp_path, lambda table: replace(
            table, derived=(*table.derived, numbered),
            fields=tuple(replace(f, unique=True) if f.name == "title" else f for f in table.fields)),
        properties=[property_(property_code="P-1"), property_(property_code="P-2", title="دیگر"),
                    property_(property_code="P-3"), property_(property_code="P-4", title="سوم", district="۷")])
    assert _codes(validated.properties) == [(4, "عنوان ملک", "duplicate-key")]
    frame = validated.properties.frame
    assert list(zip(frame["property_code"], frame["n"])) == [("P-1", 1), ("P-2", 2), ("P-4", 1)]
    assert list(frame["slug"]) == ["p-1", "p-2", "p-4"]


@pytest.mark.parametrize("declared", [
    {"visibility": Visibility.CONDITIONAL},
    {"published_when": When("x", "y")},
])
def test_a_conditional_field_needs_its_condition_and_nothing_else_has_one(declared):
    with pytest.raises(ValueError):
        _field(K.TEXT, **declared)


@pytest.mark.parametrize("declared", [
    {"point": ("x", "lon")}, {"periods": (("x", "end"),)}, {"foreign_keys": (ForeignKey("y", "rulings", "x"),)},
    {"key": ("y",)},
])
def test_a_declaration_naming_no_field_is_a_schema_error(declared):
    with pytest.raises(ValueError):
        _table(_field(K.KEY), **declared)


@pytest.mark.parametrize("declared", [
    {"required": When("y", "a")}, {"slug_of": "y"}, {"numbered_within": "y"},
    {"visibility": Visibility.CONDITIONAL, "published_when": When("y", "a")},
])
def test_a_field_declaration_naming_no_field_is_a_schema_error(declared):
    with pytest.raises(ValueError):
        _table(_field(K.KEY), replace(_field(K.TEXT, **declared), name="z"))


def test_the_dictionary_names_the_rows_of_a_declared_condition():
    f = _field(K.TEXT, required=When("kind", "الف", "ردیف‌های الف"), visibility=Visibility.CONDITIONAL,
               published_when=When("kind", "ب", "ردیف‌های ب"))
    entry = dictionary_entry(f, districts=12)
    assert (entry["required"], entry["visibility"]) == ("برای ردیف‌های الف", "فقط برای ردیف‌های ب منتشر می‌شود")


GRANTS = _table(
    Field("grant_code", "کد", "Code", K.KEY),
    Field("recipient_kind", "نوع گیرنده", "Recipient kind", K.ENUM, enum=HOLDER_KINDS),
    Field("recipient", "گیرنده", "Recipient", K.TEXT, visibility=Visibility.CONDITIONAL,
          published_when=When("recipient_kind", ORGANISATION, "نهادها")),
    Field("note", "شرح", "Note", K.LONG_TEXT),
    Field("sponsor", "حامی", "Sponsor", K.PERSON, public_identity=True),
)
GRANT_ROWS = pd.DataFrame([
    {"grant_code": "G-1", "recipient_kind": ORGANISATION, "recipient": "سازمان پارک‌ها",
     "note": "واگذار به سازمان پارک‌ها", "sponsor": "مریم احمدی"},
    {"grant_code": "G-2", "recipient_kind": NATURAL_PERSON, "recipient": "رضا موسوی",
     "note": "واگذار به رضا موسوی", "sponsor": "مریم احمدی"},
    {"grant_code": "G-3", "recipient_kind": None, "recipient": "سارا نادری",
     "note": "سارا نادری", "sponsor": None},
])


def test_a_conditional_field_is_withheld_and_masked_where_its_condition_fails():
    public = privacy.withhold(GRANT_ROWS, GRANTS)
    assert list(public["recipient"]) == ["سازمان پارک‌ها", None, None]
    assert list(public["note"]) == ["واگذار به سازمان پارک‌ها", f"واگذار به {privacy.MASK}", privacy.MASK]


def _private_sequences(*tables) -> set[tuple[str, ...]]:
    checked = [SimpleNamespace(table=t, frame=frame, rejected_rows=frame.iloc[0:0]) for t, frame in tables]
    found = gates.private_values(SimpleNamespace(tables=lambda: checked))
    return {s for by_length in found.sequences.values() for group in by_length.values() for s in group}


def test_the_publish_gate_looks_for_a_conditional_fields_withheld_values_only():
    sequences = _private_sequences((GRANTS, GRANT_ROWS))
    assert tuple(gates.tokens("رضا موسوی")) in sequences
    assert tuple(gates.tokens("سارا نادری")) in sequences
    assert tuple(gates.tokens("سازمان پارک‌ها")) not in sequences


def test_a_public_identity_field_makes_an_equal_private_value_legitimate():
    owners = _table(Field("owner_code", "کد", "Code", K.KEY),
                    Field("owner", "مالک", "Owner", K.PERSON, visibility=Visibility.PRIVATE))
    frame = pd.DataFrame([{"owner_code": "O-1", "owner": "مریم احمدی"}, {"owner_code": "O-2", "owner": "بهرام نیک‌نام"}])
    sequences = _private_sequences((owners, frame), (GRANTS, GRANT_ROWS))
    assert tuple(gates.tokens("بهرام نیک‌نام")) in sequences
    assert tuple(gates.tokens("مریم احمدی")) not in sequences
    without = replace(GRANTS, fields=tuple(replace(f, public_identity=False) for f in GRANTS.fields))
    assert tuple(gates.tokens("مریم احمدی")) in _private_sequences((owners, frame), (without, GRANT_ROWS))


def test_a_private_address_a_public_address_holds_whole_is_legitimate_but_a_name_is_not():
    """At 100k rulings, a ruling's full address was a municipal property's published address
    but for «استان البرز» before it, and the gate refused the whole publication."""
    places = _table(Field("place_code", "کد", "Code", K.KEY),
                    Field("address", "نشانی", "Address", K.TEXT, public_identity=True))
    homes = _table(Field("home_code", "کد", "Code", K.KEY),
                   Field("address", "نشانی", "Address", K.TEXT, visibility=Visibility.COARSENED),
                   Field("owner", "مالک", "Owner", K.PERSON, visibility=Visibility.PRIVATE))
    public = pd.DataFrame([{"place_code": "P-1", "address": "استان البرز، کرج، شهرک مترو، خیابان مصباح، کوچه یاس، پلاک 317"},
                           {"place_code": "P-2", "address": "کرج، خیابان شهید علی رضایی، پلاک 12"}])
    private = pd.DataFrame([{"home_code": "H-1", "address": "کرج، شهرک مترو، خیابان مصباح، کوچه یاس، پلاک 317",
                             "owner": "علی رضایی"},
                            {"home_code": "H-2", "address": "کرج، شهرک مترو، خیابان مصباح، کوچه یاس، پلاک 31",
                             "owner": "سارا نادری"}])
    sequences = _private_sequences((homes, private), (places, public))
    assert tuple(gates.tokens("کرج، شهرک مترو، خیابان مصباح، کوچه یاس، پلاک 317")) not in sequences
    assert tuple(gates.tokens("کرج، شهرک مترو، خیابان مصباح، کوچه یاس، پلاک 31")) in sequences
    assert tuple(gates.tokens("علی رضایی")) in sequences   # a street's name, and still a person's
    assert tuple(gates.tokens("سارا نادری")) in sequences


@pytest.mark.parametrize("public_address, private_address, held", [
    ("کرج، شهرک مترو، خیابان مصباح", "کرج، شهرک مترو", True),                 # at the very start
    ("استان البرز، کرج، شهرک مترو", "کرج، شهرک مترو", True),                  # at the very end
    ("کرج، شهرک مترو", "کرج، شهرک مترو", True),                               # the whole value
    ("کرج، مصباحیه، پلاک 3", "مصباحیه", True),                                # one word
    ("کرج، مصباحیه، پلاک 3", "مصباحیهٔ", True),                               # folded as the value is
    ("کرج، کوچه کوچه یاس", "کوچه یاس", True),                                 # after a repeated word
    ("کرج، کوچه کوچه یاس", "کوچه کوچه", True),
    ("Block B-12/3, Unit 4", "block b-12/3", True),                           # ASCII words, any case
    ("کرج، شهرک مترو، پلاک 317", "کرج، پلاک 317", False),                     # not consecutive
    ("کرج، شهرک مترو، پلاک 317", "پلاک 31", False),                           # part of a word
    ("کرج، شهرک مترو", "کرج، شهرک مترو، پلاک 317", False),                    # longer than the value
    ("استان البرز، کرج|شهرک مترو، پلاک 5", "کرج، شهرک مترو", False),          # across two values
])
def test_a_private_address_is_legitimate_only_where_one_public_address_holds_it_whole(
        public_address, private_address, held):
    places = _table(Field("place_code", "کد", "Code", K.KEY),
                    Field("address", "نشانی", "Address", K.TEXT, public_identity=True))
    homes = _table(Field("home_code", "کد", "Code", K.KEY),
                   Field("address", "نشانی", "Address", K.TEXT, visibility=Visibility.PRIVATE))
    public = pd.DataFrame([{"place_code": f"P-{i}", "address": a} for i, a in enumerate(public_address.split("|"))])
    private = pd.DataFrame([{"home_code": "H-1", "address": private_address}])
    sequences = _private_sequences((homes, private), (places, public))
    assert (tuple(gates.tokens(private_address)) not in sequences) is held


@pytest.mark.parametrize("kind, privacy_, public", [
    (K.INTEGER, Privacy.AMOUNT, {"4271"}), (K.DECIMAL, Privacy.AMOUNT, {"4271"}),
    (K.KEY, Privacy.IDENTIFIER, {"4271"}), (K.DISTRICT, Privacy.NONE, set()),
    (K.TEXT, Privacy.SCANNED, set()), (K.DATE, Privacy.NONE, set()),
])
def test_the_gate_counts_published_numbers_by_the_kinds_privacy(kind, privacy_, public):
    assert KIND_SPECS[kind].privacy is privacy_
    table = _table(Field("n", "عدد", "N", kind))
    checked = SimpleNamespace(table=table, frame=pd.DataFrame({"n": [4271 if kind is not K.KEY else "42-71"]}))
    assert gates.public_numbers(SimpleNamespace(tables=lambda: [checked])) == public


def test_a_table_with_a_point_gets_its_geojson_and_catalogue_entry(tmp_path):
    sites = _table(Field("site", "کد", "Code", K.KEY), Field("lat", "عرض", "Lat", K.DECIMAL),
                   Field("lon", "طول", "Lon", K.DECIMAL), point=("lat", "lon"))
    rows = [{"site": "S-1", "lat": 35.8, "lon": 50.9}, {"site": "S-2", "lat": None, "lon": 50.9}]
    collection = json.loads(downloads.geojson(sites, rows))
    assert [(f["id"], f["geometry"]["coordinates"], f["properties"]) for f in collection["features"]] == \
        [("S-1", [50.9, 35.8], {"site": "S-1"})]
    files = Spool(tmp_path)
    files.update({f"things.{fmt}": b"" for fmt in downloads.DATASET_FORMATS} | {"things.geojson": b"",
                                                                                "datapackage.json": b"{}"})
    (entry,) = downloads.catalogue(files, {"things": rows}, [sites], CITY, "2026-11-30", "2026-11-30")["datasets"]
    assert entry["geojson_features"] == 1
    assert [f["path"] for f in entry["files"]][-1] == "things.geojson"
    (plain,) = downloads.catalogue(files, {"things": rows}, [replace(sites, point=None)], CITY,
                                   "2026-11-30", "2026-11-30")["datasets"]
    assert plain["geojson_features"] is None and "things.geojson" not in [f["path"] for f in plain["files"]]


def test_the_dictionary_lists_the_schema_tables():
    assert [t["name"] for t in dictionary(CITY.districts)] == [t.name for t in TABLES]
