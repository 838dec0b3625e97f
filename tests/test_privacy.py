"""Personal data never reaches a published value."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory import INVALID_TEN_DIGITS, VALID_NATIONAL_ID, property_, ruling, violation, write_exports
from pipeline import build, normalise, personal, settings
from pipeline.personal import is_national_id
from pipeline.privacy import MASK, coarsen_address, redact
from pipeline.schema import MEMBER_ROLES

CITY = settings.load()
VECTORS = json.loads((Path(__file__).parent / "personal_vectors.json").read_text("utf-8"))
PERSONAL = VECTORS["personal"]
PUBLIC = [v for v in VECTORS["public"] if "published" not in v]  # redaction knows no published list


@pytest.mark.parametrize("digits,valid", [
    (VALID_NATIONAL_ID, True),
    ("0013542419", True),
    ("1111111111", False),      # all equal digits
    (INVALID_TEN_DIGITS, False),
    ("0499370898", False),      # last digit off by one
    ("049937089", False),       # nine digits
])
def test_national_id_checksum(digits, valid):
    assert is_national_id(digits) is valid


@pytest.mark.parametrize("text,expected", [
    (f"مالک با کد ملی {VALID_NATIONAL_ID} حاضر شد", f"مالک با کد ملی {MASK} حاضر شد"),
    ("کد ملی 049-937089-9 ثبت شد", f"کد ملی {MASK} ثبت شد"),
    (f"پرونده {INVALID_TEN_DIGITS} بررسی شد", f"پرونده {INVALID_TEN_DIGITS} بررسی شد"),
    ("تماس: 09121234567", f"تماس: {MASK}"),
    ("تماس: 0912 123 4567 و +989351234567", f"تماس: {MASK} و {MASK}"),
    ("کد پستی 3158745698 است", f"کد پستی {MASK} است"),
    ("نشانی با کدپستی 31587-45698", f"نشانی با کدپستی {MASK}"),
    ("مبلغ 120000000 ریال", "مبلغ 120000000 ریال"),
    ("شماره رأی 1402/3/1547", "شماره رأی 1402/3/1547"),
])
def test_redact(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("vector", PERSONAL, ids=[f"{v['kind']}: {v['why']}" for v in PERSONAL])
def test_redact_masks_personal_data_in_any_spelling(vector):
    masked = vector.get("masked", MASK)
    assert redact(f"شرح: {vector['text']} ثبت شد") == f"شرح: {masked} ثبت شد"
    assert redact(vector["text"]) == masked, "at the edges of the text too"


@pytest.mark.parametrize("vector", PUBLIC, ids=[v["why"] for v in PUBLIC])
def test_redact_leaves_public_numbers_alone(vector):
    text = f"شرح: {vector['text']} ثبت شد"
    assert redact(text) == text
    assert redact(vector["text"]) == vector["text"]


def test_redact_masks_the_rows_own_owner_name():
    assert redact("آقای بهرام نیک‌نام اعتراض کرد", ("بهرام نیک‌نام",)) == f"آقای {MASK} اعتراض کرد"
    assert redact("آقای بهرام  نیک‌نام اعتراض کرد", ("بهرام نیک‌نام",)) == f"آقای {MASK} اعتراض کرد"


@pytest.mark.parametrize("address,expected", [
    ("کرج، مهرشهر، بلوار ارم، پلاک ۴۵، واحد ۳".replace("۴۵", "45").replace("۳", "3"), "کرج، مهرشهر، بلوار ارم"),
    ("کرج، گوهردشت، خیابان 12 غربی، پلاک 7 طبقه 2", "کرج، گوهردشت، خیابان 12 غربی"),
    ("کرج، عظیمیه، میدان مهران، کد پستی 3158745698", "کرج، عظیمیه، میدان مهران"),
    ("کرج، باغستان، کوچه لاله", "کرج، باغستان، کوچه لاله"),
])
def test_address_is_coarsened_to_street_level(address, expected):
    assert coarsen_address(address) == expected


def test_pipeline_withholds_private_fields_and_masks_free_text(tmp_path):
    text = f"مالک بهرام نیک‌نام با کد ملی {VALID_NATIONAL_ID} و همراه 09121234567؛ پرونده {INVALID_TEN_DIGITS}."
    folder = write_exports(tmp_path, rulings=[ruling(ruling_text=text, plate="987/654")])
    publication = build.prepare(folder, CITY)
    record = publication.rulings[0]
    for private in ("owner_name", "owner_national_id", "owner_mobile", "plate"):
        assert private not in record
    assert record["ruling_text"] == f"مالک {MASK} با کد ملی {MASK} و همراه {MASK}؛ پرونده {INVALID_TEN_DIGITS}."
    assert record["address"] == "کرج، مهرشهر، بلوار ارم"
    everything = "".join(data.decode("utf-8") for name, data in publication.files.items()
                         if name.endswith((".csv", ".json", ".geojson")))
    for leaked in (VALID_NATIONAL_ID, "09121234567", "نیک‌نام", "987/654"):
        assert leaked not in everything


@pytest.mark.parametrize("role", [role for role, *_ in MEMBER_ROLES])
@pytest.mark.parametrize("typed", ["۰۹۱۲ ۱۲۳ ۴۵۶۷", "0 4 9 9 3 7 0 8 9 9", "9121234567"])
def test_a_number_typed_into_a_member_name_is_dropped_and_the_name_kept(tmp_path, role, typed):
    folder = write_exports(tmp_path, rulings=[ruling(**{role: f"علی {typed} کریمی"}),
                                              ruling(ruling_no="1402/3/101", **{role: typed})],
                           violations=[violation(), violation(ruling_no="1402/3/101")])
    rulings = build.prepare(folder, CITY).rulings
    assert [r[role] for r in rulings] == ["علی کریمی", MASK]


def test_an_official_who_owns_the_building_is_still_named(tmp_path):
    folder = write_exports(tmp_path, rulings=[ruling(council_rep="بهرام نیک‌نام", owner_name="بهرام نیک‌نام")])
    assert build.prepare(folder, CITY).rulings[0]["council_rep"] == "بهرام نیک‌نام"


@pytest.mark.parametrize("kind,shown", [("حقوقی", True), ("حقیقی", False), (None, False)])
def test_property_holder_is_named_only_for_organisations(tmp_path, kind, shown):
    folder = write_exports(tmp_path, properties=[property_(
        holder_kind=kind, holder="سازمان پارک‌ها" if kind == "حقوقی" else "رضا موسوی",
        occupancy="اجاره", title="مغازه اجاره‌ای رضا موسوی" if kind != "حقوقی" else "مغازه")])
    record = build.prepare(folder, CITY).properties[0]
    if shown:
        assert record["holder"] == "سازمان پارک‌ها"
    else:
        assert record["holder"] is None
        assert "موسوی" not in record["title"]


def test_property_address_and_plate_are_public(tmp_path):
    folder = write_exports(tmp_path, properties=[property_(address="کرج، مهرشهر، بلوار ارم، پلاک 12")])
    record = build.prepare(folder, CITY).properties[0]
    assert record["address"] == "کرج، مهرشهر، بلوار ارم، پلاک 12"
    assert record["plate"] == "123/456"


def test_empty_optional_text_cells_stay_empty(tmp_path):
    folder = write_exports(tmp_path, rulings=[
        ruling(), ruling(ruling_no="1402/3/101", address=None, neighbourhood=None, ruling_text=None,
                         commission=None)],
        properties=[property_(), property_(property_code="P-05-0002", address=None, neighbourhood=None)])
    publication = build.prepare(folder, CITY)
    empty = next(r for r in publication.rulings if r["ruling_no"] == "1402/3/101")
    assert (empty["address"], empty["neighbourhood"], empty["ruling_text"], empty["commission"]) == (None,) * 4
    assert publication.properties[1]["address"] is None


# One invisible alphabet: whatever the normaliser removes as invisible, and the joiners and
# direction marks it keeps for Persian words, hides nothing between the digits of an ID.
_INVISIBLE_SAMPLES = sorted({chr(low) for low, _ in normalise.INVISIBLE_RANGES}
                            | {chr(high) for _, high in normalise.INVISIBLE_RANGES}
                            | set("\u200c\u200d\u200e\u200f\u202a\u202e\u2066\u2069"))


@pytest.mark.parametrize("invisible", _INVISIBLE_SAMPLES, ids=lambda c: f"U+{ord(c):04X}")
def test_no_invisible_character_splits_a_national_id(invisible):
    text = "کد ملی " + invisible.join("0084575948")
    assert [m.kind for m in personal.find(text)] == [personal.NATIONAL_ID]
