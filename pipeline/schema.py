"""The single source of truth for what the exports hold and what Shafaf publishes.

Every other stage derives from the tables below: header matching (``read``), type
checks (``validate``), what is withheld (``privacy`` and the publish gate), the published
datasets and ``datapackage.json`` (``datasets``, ``downloads``) and the data-dictionary page.
What a field *kind* means everywhere is declared once, in ``KIND_SPECS``; a rule about one
field is a declaration on its ``Field`` or ``Table`` (a ``When`` requirement, ``bounds_setting``,
``published_when``, ``public_identity``, ``slug_of``, ``numbered_within``, ``foreign_keys``,
``periods``, ``point``, ``jalali_of``, ``computed``), which the generic stages read.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from typing import Callable

from . import values
from .settings import Municipality


class Kind(str, Enum):
    """How a cell is parsed and how the field is typed in the datasets (see ``KIND_SPECS``)."""

    KEY = "key"            # an identifier: digits folded to Latin, spaces removed
    TEXT = "text"          # one line of text
    LONG_TEXT = "long_text"  # free text, line breaks kept
    PERSON = "person"      # a person's name
    DATE = "date"          # Jalali in the export, ISO-8601 Gregorian in data
    ENUM = "enum"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DISTRICT = "district"  # 1..N, may come as «منطقه ۵»
    # The Jalali spelling of a date field (``Field.jalali_of``), added to the data files only:
    # a journalist reads and filters 1403/11/06, software reads the ISO date beside it.
    JALALI = "jalali"
    # A yes/no a pipeline stage computes (``Field.computed``): never read from an export.
    FLAG = "flag"

    @property
    def spec(self) -> KindSpec:
        return KIND_SPECS[self]


class Privacy(str, Enum):
    """What redaction and the publish gate do with a field of a kind."""

    NONE = "none"              # dates, enumeration values, districts: nothing personal fits
    SCANNED = "scanned"        # free text: IDs, mobiles and the row's private names are masked
    # A name: published, it loses an ID or mobile typed beside it; private, it is masked in
    # its row's text and looked for by the gate when it has two words or more.
    NAME = "name"
    # Published as it is (page address, search): its digits are a public number; a private
    # one (an ID, a mobile) is looked for by the gate as its digits, however written.
    IDENTIFIER = "identifier"
    AMOUNT = "amount"          # a published number is a public figure, not an ID


class Storage(str, Enum):
    """How a value of a kind is stored in the CSV and XLSX files."""

    TEXT = "text"        # formula-neutralised in CSV, a string cell in XLSX
    NUMBER = "number"    # written as a number, a negative one too (data, not a formula)
    DATE = "date"        # ISO text in CSV, a date cell in XLSX
    BOOLEAN = "boolean"  # true/false in CSV, a boolean cell in XLSX; empty when unknown


class Visibility(str, Enum):
    PUBLIC = "public"
    PRIVATE = "private"        # never leaves the pipeline
    COARSENED = "coarsened"    # published after house number, unit and postal code are removed
    REDACTED = "redacted"      # published after IDs, phone numbers and the owner's name are masked
    CONDITIONAL = "conditional"  # published only where ``Field.published_when`` holds


Parser = Callable[[object], object]


@dataclass(frozen=True)
class KindSpec:
    parser: Callable[[Field, Municipality, dt.date], Parser]  # the cell parser for a field
    dataset_type: str          # frictionless field type
    storage: Storage
    privacy: Privacy
    label_fa: str              # the data dictionary's type column
    label_en: str
    dataset_format: str | None = None   # frictionless field format
    dataset_pattern: str | None = None  # frictionless pattern constraint
    districts: bool = False    # bounded by the municipality's district count


# A field is required always, never, or in some rows (a ``When``).
REQUIRED = "required"
OPTIONAL = "optional"


@dataclass(frozen=True)
class Field:
    name: str
    header: str
    label_en: str
    kind: Kind
    required: str | When = OPTIONAL
    visibility: Visibility = Visibility.PUBLIC
    aliases: tuple[str, ...] = ()
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    unique: bool = False
    not_after_today: bool = False  # a date that cannot lie in the future (a ruling's)
    # The name of a ``Municipality`` setting holding (low, high) bounds for the value: a
    # coordinate lies within the city's box.
    bounds_setting: str = ""
    # With Visibility.CONDITIONAL: published where this holds; in the other rows (the deciding
    # field empty too) the value is a person's name: withheld, masked in the row's text and
    # looked for by the publish gate.
    published_when: When | None = None
    # Its published values are public knowledge: a private value equal to one (an official
    # who also owns a building, a ruling's plate that is a municipal property's) is no leak.
    public_identity: bool = False
    # Derived fields: the page slug of a unique field; the row's number among the rows that
    # share a field's value, in the export's order.
    slug_of: str = ""
    numbered_within: str = ""
    # A derived field: the Jalali spelling of a date field of the same row (Kind.JALALI). It is
    # in the data files (CSV, JSON, XLSX) right after that field, never in the records.
    jalali_of: str = ""
    # A derived field computed by a stage from the row's public fields, its comparison group
    # and the publication date (``pipeline/flags.py``): in the data files and on the pages,
    # placed after the export's fields, never in the records' fingerprints (a lease that ends
    # is no change its record made, and adding such a field changes no record).
    computed: bool = False
    description_fa: str = ""
    withheld_why: str = ""

    def __post_init__(self):
        # A conditional field without its condition would be published in every row.
        if (self.visibility is Visibility.CONDITIONAL) != (self.published_when is not None):
            raise ValueError(f"{self.name}: Visibility.CONDITIONAL goes with published_when")

    @property
    def published(self) -> bool:
        return self.visibility is not Visibility.PRIVATE

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)

    def parser(self, city: Municipality, today: dt.date) -> Parser:
        """The kind's parser, with this field's range check when it declares one."""
        parse = self.kind.spec.parser(self, city, today)
        if self.bounds_setting:
            low, high = getattr(city, self.bounds_setting)
            return _ranged(parse, low, high)
        if self.minimum is not None or self.maximum is not None:
            return _ranged(parse, self.minimum, self.maximum, self.exclusive_minimum)
        return parse


def _ranged(parse: Parser, minimum, maximum, exclusive_minimum=False) -> Parser:
    def parse_in_range(raw):
        value = parse(raw)
        values.check_range(value, minimum, maximum, exclusive_minimum)
        return value
    return parse_in_range


def _date_parser(f: Field, city: Municipality, today: dt.date) -> Parser:
    latest = today if f.not_after_today else None
    return lambda raw: values.date(raw, latest).isoformat()


def _simple(parse: Parser):
    return lambda f, city, today: parse


KIND_SPECS: dict[Kind, KindSpec] = {
    Kind.KEY: KindSpec(_simple(values.key), "string", Storage.TEXT, Privacy.IDENTIFIER,
                       "شناسه (متن)", "identifier (string)"),
    Kind.TEXT: KindSpec(_simple(values.text), "string", Storage.TEXT, Privacy.SCANNED, "متن", "string"),
    Kind.LONG_TEXT: KindSpec(_simple(values.long_text), "string", Storage.TEXT, Privacy.SCANNED,
                             "متن بلند", "string"),
    Kind.PERSON: KindSpec(_simple(values.text), "string", Storage.TEXT, Privacy.NAME, "نام شخص", "string"),
    Kind.DATE: KindSpec(_date_parser, "date", Storage.DATE, Privacy.NONE,
                        "تاریخ میلادی ISO", "date (YYYY-MM-DD)", dataset_format="%Y-%m-%d"),
    Kind.ENUM: KindSpec(lambda f, city, today: partial(values.enum, allowed=f.enum), "string",
                        Storage.TEXT, Privacy.NONE, "یکی از مقادیر", "string, enumerated"),
    Kind.INTEGER: KindSpec(_simple(values.integer), "integer", Storage.NUMBER, Privacy.AMOUNT,
                           "عدد صحیح", "integer"),
    Kind.DECIMAL: KindSpec(_simple(values.decimal), "number", Storage.NUMBER, Privacy.AMOUNT,
                           "عدد اعشاری", "number"),
    Kind.DISTRICT: KindSpec(lambda f, city, today: partial(values.district, count=city.districts),
                            "integer", Storage.NUMBER, Privacy.NONE, "شماره منطقه", "integer",
                            districts=True),
    # Never read from an export (a derived field): the parser is there for completeness.
    Kind.JALALI: KindSpec(_simple(values.text), "string", Storage.TEXT, Privacy.NONE,
                          "تاریخ خورشیدی (متن)", "Jalali date (string, YYYY/MM/DD)",
                          dataset_pattern="[0-9]{4}/[0-9]{2}/[0-9]{2}"),
    Kind.FLAG: KindSpec(_simple(values.text), "boolean", Storage.BOOLEAN, Privacy.NONE,
                        "بله/خیر (true/false)", "boolean (true/false)"),
}


@dataclass(frozen=True)
class When:
    """The rows in which ``field`` holds ``equals``: where a field is required
    (``Field.required``) or published (``Field.published_when``)."""

    field: str
    equals: str
    rows_fa: str = ""   # the rows, as the data dictionary names them


@dataclass(frozen=True)
class ForeignKey:
    """A row whose ``field`` names no row of table ``resource`` (by its ``reference`` field)
    is rejected; declared so in ``datapackage.json``, as frictionless declares it."""

    field: str
    resource: str
    reference: str


@dataclass(frozen=True)
class Table:
    name: str            # dataset name, also the CSV/JSON file stem
    title_fa: str
    title_en: str
    sheet: str           # sheet name in the workbook
    workbook: str        # workbook stem: rulings.xlsx holds two sheets
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    description_fa: str = ""
    description_en: str = ""
    derived: tuple[Field, ...] = field(default=())  # added by the pipeline, not read
    noun_fa: str = ""    # one record, in a rejection's reason
    foreign_keys: tuple[ForeignKey, ...] = ()
    point: tuple[str, str] | None = None  # (latitude, longitude) fields: a GeoJSON of the table
    periods: tuple[tuple[str, str], ...] = ()  # (start, end) date fields: an end before its start is rejected

    def __post_init__(self):
        # A misspelt name in a declaration would make its rule check nothing, silently.
        names = {f.name for f in self.fields + self.derived}
        declared = {*self.key, *(self.point or ()), *(n for pair in self.periods for n in pair),
                    *(k.field for k in self.foreign_keys)}
        for f in self.fields + self.derived:
            conditions = [c for c in (f.required, f.published_when) if isinstance(c, When)]
            declared |= {c.field for c in conditions} | {n for n in (f.slug_of, f.numbered_within, f.jalali_of) if n}
            if f.jalali_of and (f.kind is not Kind.JALALI or self.field(f.jalali_of).kind is not Kind.DATE):
                raise ValueError(f"{self.name}.{f.name}: jalali_of goes with Kind.JALALI and a date field")
            if (f.kind is Kind.FLAG or f.computed) and not (f.computed and f in self.derived):
                raise ValueError(f"{self.name}.{f.name}: Kind.FLAG and computed go with a derived field")
        if declared - names:
            raise ValueError(f"{self.name}: declarations name no field: {sorted(declared - names)}")

    def field(self, name: str) -> Field:
        for f in self.fields + self.derived:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def _ordered(self) -> tuple[Field, ...]:
        """Derived keys first, then the export's order, then the computed fields."""
        return (tuple(f for f in self.derived if not f.computed) + self.fields
                + tuple(f for f in self.derived if f.computed))

    @property
    def public_fields(self) -> tuple[Field, ...]:
        """Published fields of a record, as its fingerprint counts them: derived keys first,
        then the export's order. The Jalali copies and the computed fields are not among them
        (see ``record_fields`` and ``dataset_fields``)."""
        return tuple(f for f in self._ordered if f.published and not f.jalali_of and not f.computed)

    @property
    def record_fields(self) -> tuple[Field, ...]:
        """What a record (its page, the datasets' rows) holds: ``public_fields`` and the
        computed fields after them."""
        return tuple(f for f in self._ordered if f.published and not f.jalali_of)

    @property
    def all_fields(self) -> tuple[Field, ...]:
        """Every field, private ones too (the data dictionary), each Jalali copy right after
        its date field."""
        copies = {f.jalali_of: f for f in self.derived if f.jalali_of}
        return tuple(g for f in self._ordered if not f.jalali_of
                     for g in (f, *([copies[f.name]] if f.name in copies else [])))

    @property
    def dataset_fields(self) -> tuple[Field, ...]:
        """Columns of the data files (CSV, JSON, XLSX, datapackage.json): ``public_fields``
        with each date's Jalali copy right after it."""
        return tuple(f for f in self.all_fields if f.published)

    @property
    def private_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.published)

    def fields_with(self, visibility: Visibility) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.visibility is visibility)


STAGES = ("بدوی", "تجدیدنظر")
FIRST_INSTANCE, APPEAL = STAGES
FOR_APPEALS = When("stage", APPEAL, "آرای تجدیدنظر")
APPEAL_RESULTS = ("تأیید", "نقض", "اصلاح")
EXECUTION_STATUSES = ("اجرا شده", "در حال اجرا", "اجرا نشده", "وصول شده")
# «وصول شده» is the one status that says a fine's money came in; «اجرا شده» says the ruling was
# carried out, which for a fine need not mean paid.
COLLECTED = EXECUTION_STATUSES[3]

VIOLATION_TYPES = (
    "احداث بنای بدون پروانه",
    "اضافه بنا مازاد بر پروانه",
    "احداث طبقه مازاد",
    "مازاد بر تراکم",
    "کسری پارکینگ",
    "تجاوز به معبر",
    "پیش‌آمدگی غیرمجاز",
    "تغییر کاربری غیرمجاز",
    "تبدیل پیلوت یا پارکینگ",
    "تبدیل زیرشیروانی به طبقه",
    "افزایش تعداد واحد",
    "عدم رعایت اصول فنی و بهداشتی",
    "دیوارکشی بدون مجوز",
    "ایجاد مشرفیت",
)
DECISIONS = (
    "قلع بنا",
    "جریمه",
    "ابقا",
    "اعاده به وضع سابق",
    "تعطیل محل",
    "رفع تجاوز",
    "رفع مشرفیت",
    "عدم تخلف",
)
DEMOLITION, FINE = DECISIONS[:2]
LAND_USES = (
    "مسکونی", "تجاری", "اداری", "آموزشی", "ورزشی", "درمانی", "فرهنگی", "مذهبی",
    "فضای سبز", "تأسیسات شهری", "حمل و نقل و انبارداری", "بایر",
)
DEED_TYPES = ("سند تک‌برگ", "سند دفترچه‌ای", "سند مشاعی", "قولنامه‌ای", "فاقد سند")
OCCUPANCIES = ("در اختیار شهرداری", "اجاره", "واگذار به نهاد", "خالی", "متصرف غیرقانونی")
LET, ASSIGNED, VACANT, OCCUPIED_ILLEGALLY = OCCUPANCIES[1:]
HOLDER_KINDS = ("حقیقی", "حقوقی")
NATURAL_PERSON, ORGANISATION = HOLDER_KINDS

# The three members of an Article 100 commission, in the order pages list them.
MEMBER_ROLES = (
    ("interior_rep", "نماینده وزارت کشور", "Interior Ministry representative"),
    ("judiciary_rep", "نماینده دادستان", "Prosecutor's (judiciary) representative"),
    ("council_rep", "نماینده شورای شهر", "City council representative"),
)

K = Kind
V = Visibility
_JALALI_NOTE = "همان تاریخ ستون پیشین به تقویم خورشیدی، با رقم‌های لاتین؛ فقط در پرونده‌های داده."

RULINGS = Table(
    name="rulings",
    title_fa="آرای کمیسیون ماده ۱۰۰",
    title_en="Article 100 commission rulings",
    sheet="آرا",
    workbook="rulings",
    key=("ruling_no",),
    noun_fa="رأی",
    description_fa="هر سطر یک رأی کمیسیون ماده ۱۰۰ قانون شهرداری‌ها، بدوی یا تجدیدنظر.",
    description_en="One row per ruling of an Article 100 commission (first instance or appeal).",
    derived=(
        Field("slug", "نشانی صفحه", "Page slug", K.KEY, slug_of="ruling_no",
              description_fa="شناسه‌ی پایدار صفحه‌ی رأی در تارنما، ساخته از شماره‌ی رأی."),
        Field("ruling_date_jalali", "تاریخ رأی (خورشیدی)", "Ruling date (Jalali)", K.JALALI,
              jalali_of="ruling_date", description_fa=_JALALI_NOTE),
    ),
    fields=(
        Field("ruling_no", "شماره رأی", "Ruling number", K.KEY, REQUIRED, unique=True,
              aliases=("شماره دادنامه",)),
        Field("case_no", "شماره پرونده", "Case number", K.KEY, REQUIRED,
              aliases=("کلاسه پرونده", "کلاسه")),
        Field("ruling_date", "تاریخ رأی", "Ruling date", K.DATE, REQUIRED, not_after_today=True,
              aliases=("تاریخ صدور رأی",)),
        Field("stage", "مرحله", "Stage", K.ENUM, REQUIRED, enum=STAGES,
              aliases=("نوع کمیسیون",)),
        Field("commission", "شماره کمیسیون", "Commission", K.TEXT, aliases=("کمیسیون",)),
        Field("district", "منطقه", "District", K.DISTRICT, REQUIRED,
              aliases=("منطقه شهرداری",)),
        Field("neighbourhood", "محله", "Neighbourhood", K.TEXT),
        Field("address", "نشانی", "Address (street level)", K.TEXT, visibility=V.COARSENED,
              aliases=("آدرس",),
              withheld_why="پلاک، واحد و کد پستی حذف می‌شود تا ملک یک شهروند شناسایی نشود."),
        Field("appealed_ruling_no", "شماره رأی بدوی", "First-instance ruling reviewed", K.KEY,
              FOR_APPEALS, aliases=("رأی بدوی",)),
        Field("appeal_result", "نتیجه تجدیدنظر", "Appeal result", K.ENUM, FOR_APPEALS,
              enum=APPEAL_RESULTS),
        Field("interior_rep", "نماینده وزارت کشور", "Interior Ministry representative",
              K.PERSON, REQUIRED, aliases=("نماینده وزارت کشور در کمیسیون",), public_identity=True),
        Field("judiciary_rep", "نماینده دادستان", "Prosecutor's representative", K.PERSON,
              REQUIRED, aliases=("نماینده قوه قضاییه", "نماینده دادگستری"), public_identity=True),
        Field("council_rep", "نماینده شورای شهر", "City council representative", K.PERSON,
              REQUIRED, aliases=("عضو شورا", "نماینده شورا"), public_identity=True),
        Field("ruling_text", "شرح رأی", "Ruling text", K.LONG_TEXT, visibility=V.REDACTED,
              aliases=("متن رأی",),
              withheld_why="کد ملی، شماره‌ی همراه، کد پستی و نام مالک در متن پوشانده می‌شود."),
        Field("total_fine_rial", "مبلغ کل جریمه (ریال)", "Total fine (IRR)", K.INTEGER,
              minimum=0, aliases=("مبلغ کل جریمه", "جمع جریمه (ریال)")),
        Field("execution_status", "وضعیت اجرا", "Execution status", K.ENUM,
              enum=EXECUTION_STATUSES),
        Field("owner_name", "نام مالک", "Owner's name", K.PERSON, visibility=V.PRIVATE,
              aliases=("مالک",), withheld_why="داده‌ی شخصی شهروند."),
        Field("owner_national_id", "کد ملی مالک", "Owner's national ID", K.KEY,
              visibility=V.PRIVATE, aliases=("کدملی مالک", "کد ملی"),
              withheld_why="داده‌ی شخصی شهروند."),
        Field("owner_mobile", "تلفن همراه مالک", "Owner's mobile", K.KEY, visibility=V.PRIVATE,
              aliases=("موبایل مالک", "تلفن همراه"), withheld_why="داده‌ی شخصی شهروند."),
        Field("plate", "پلاک ثبتی", "Registration plate", K.TEXT, visibility=V.PRIVATE,
              withheld_why="پلاک ثبتی ملک شخصی مالک را شناسایی می‌کند."),
    ),
)

VIOLATIONS = Table(
    name="violations",
    title_fa="تخلفات ساختمانی",
    title_en="Building violations",
    sheet="تخلفات",
    workbook="rulings",
    key=("ruling_no", "seq"),
    noun_fa="تخلف",
    foreign_keys=(ForeignKey("ruling_no", "rulings", "ruling_no"),),
    description_fa="هر سطر یک تخلف و تصمیم کمیسیون درباره‌ی آن؛ هر رأی چند تخلف دارد.",
    description_en="One row per violation and the commission's decision on it.",
    derived=(
        Field("seq", "ردیف", "Sequence within the ruling", K.INTEGER, minimum=1,
              numbered_within="ruling_no",
              description_fa="شماره‌ی ردیف تخلف در رأی، به ترتیب فایل خروجی."),
    ),
    fields=(
        Field("ruling_no", "شماره رأی", "Ruling number", K.KEY, REQUIRED,
              aliases=("شماره دادنامه",)),
        Field("violation_type", "نوع تخلف", "Violation type", K.ENUM, REQUIRED,
              enum=VIOLATION_TYPES),
        Field("legal_basis", "مستند قانونی", "Legal basis", K.TEXT, aliases=("تبصره",)),
        Field("floor", "طبقه", "Floor", K.TEXT),
        Field("area_m2", "مقدار تخلف (مترمربع)", "Area (m²)", K.DECIMAL, minimum=0,
              aliases=("مساحت تخلف", "مقدار تخلف", "متراژ تخلف")),
        Field("decision", "نوع رأی", "Decision", K.ENUM, REQUIRED, enum=DECISIONS,
              aliases=("تصمیم کمیسیون",)),
        Field("multiplier", "ضریب", "Multiplier", K.DECIMAL, minimum=0, maximum=4),
        Field("unit_value_rial", "ارزش معاملاتی (ریال)", "Transaction value (IRR/m²)",
              K.INTEGER, minimum=0, aliases=("ارزش معاملاتی",)),
        Field("fine_rial", "مبلغ جریمه (ریال)", "Fine (IRR)", K.INTEGER, minimum=0,
              aliases=("مبلغ جریمه", "جریمه")),
    ),
)

PROPERTIES = Table(
    name="properties",
    title_fa="املاک شهرداری",
    title_en="Municipal property registry",
    sheet="املاک",
    workbook="properties",
    key=("property_code",),
    noun_fa="ملک",
    point=("latitude", "longitude"),
    periods=(("contract_start", "contract_end"),),
    description_fa="هر سطر یک ملک در مالکیت یا اختیار شهرداری.",
    description_en="One row per property owned or held by the municipality.",
    derived=(
        Field("slug", "نشانی صفحه", "Page slug", K.KEY, slug_of="property_code",
              description_fa="شناسه‌ی پایدار صفحه‌ی ملک در تارنما، ساخته از کد ملک."),
        Field("contract_start_jalali", "تاریخ شروع قرارداد (خورشیدی)", "Contract start (Jalali)",
              K.JALALI, jalali_of="contract_start", description_fa=_JALALI_NOTE),
        Field("contract_end_jalali", "تاریخ پایان قرارداد (خورشیدی)", "Contract end (Jalali)",
              K.JALALI, jalali_of="contract_end", description_fa=_JALALI_NOTE),
        # What a reader should notice (pipeline/flags.py; defined on the methodology page, #flags).
        Field("flag_lease_expired", "اجاره‌ی پایان‌یافته", "Lease ended, still let", K.FLAG, computed=True,
              description_fa=f"بله (true) اگر وضعیت «{LET}» است و تاریخ پایان قرارداد پیش از تاریخ انتشار است "
                             "(پایان در همان روز انتشار: خیر)."),
        Field("flag_no_contract", "بهره‌برداری بی‌قرارداد", "Let or assigned without contract dates",
              K.FLAG, computed=True,
              description_fa=f"بله (true) اگر وضعیت «{LET}» یا «{ASSIGNED}» است و نه تاریخ شروع و نه تاریخ پایان "
                             "قرارداد ثبت شده است."),
        Field("flag_occupied_illegally", "تصرف غیرقانونی", "Occupied illegally", K.FLAG, computed=True,
              description_fa=f"بله (true) اگر وضعیت بهره‌برداری «{OCCUPIED_ILLEGALLY}» است."),
        Field("flag_vacant", "خالی", "Vacant", K.FLAG, computed=True,
              description_fa=f"بله (true) اگر وضعیت بهره‌برداری «{VACANT}» است."),
        Field("rent_per_m2_rial", "اجاره‌ی ماهانه برای هر مترمربع (ریال)", "Monthly rent per m² (IRR)",
              K.DECIMAL, computed=True,
              description_fa=f"فقط برای وضعیت «{LET}» با اجاره‌ی ماهانه‌ی ثبت‌شده: اجاره‌ی ماهانه بخش بر "
                             "مساحت اعیان، یا اگر اعیان خالی یا صفر است بخش بر مساحت عرصه."),
        Field("rent_group_rows", "شمار املاک گروه مقایسه", "Rows of the rent comparison group",
              K.INTEGER, computed=True,
              description_fa=f"شمار املاک «{LET}» با اجاره‌ی ثبت‌شده در همان منطقه و همان کاربری، خود این ملک هم."),
        Field("rent_group_median_per_m2_rial", "میانه‌ی اجاره برای هر مترمربع در گروه (ریال)",
              "Median monthly rent per m² of the group (IRR)", K.DECIMAL, computed=True,
              description_fa="میانه‌ی «اجاره‌ی ماهانه برای هر مترمربع» در گروه مقایسه؛ خالی اگر گروه کمتر از "
                             "کمینه‌ای که تنظیمات تارنما می‌گوید (rent_flag_min_group) ملک دارد."),
        Field("flag_low_rent", "اجاره‌ی بسیار کمتر از میانه", "Rent per m² far below the group median",
              K.FLAG, computed=True,
              description_fa="بله (true) اگر «اجاره‌ی ماهانه برای هر مترمربع» کمتر از درصدی از میانه‌ی گروه "
                             "است که تنظیمات تارنما می‌گوید (rent_flag_percent؛ برابر با آن: خیر)؛ خالی اگر "
                             "مقایسه ممکن نیست (نه اجاره، بی‌اجاره یا گروه کوچک)."),
        Field("rent_to_appraisal", "نسبت اجاره‌ی سالانه به ارزش کارشناسی", "Annual rent / appraised value",
              K.DECIMAL, computed=True,
              description_fa="۱۲ برابر اجاره‌ی ماهانه بخش بر ارزش کارشناسی (۰٫۰۵ یعنی ۵٪ در سال)؛ "
                             "خالی اگر یکی از آن دو ثبت نشده یا ارزش کارشناسی صفر است."),
    ),
    fields=(
        Field("property_code", "کد ملک", "Property code", K.KEY, REQUIRED, unique=True,
              aliases=("کد اموال",)),
        Field("title", "عنوان ملک", "Title", K.TEXT, REQUIRED, aliases=("عنوان",)),
        Field("district", "منطقه", "District", K.DISTRICT, REQUIRED),
        Field("neighbourhood", "محله", "Neighbourhood", K.TEXT),
        Field("address", "نشانی", "Address", K.TEXT, visibility=V.REDACTED, aliases=("آدرس",),
              public_identity=True),
        Field("land_use", "کاربری", "Land use", K.ENUM, REQUIRED, enum=LAND_USES),
        Field("land_area_m2", "مساحت عرصه (مترمربع)", "Land area (m²)", K.DECIMAL, REQUIRED,
              minimum=0, exclusive_minimum=True, aliases=("مساحت عرصه",)),
        Field("building_area_m2", "مساحت اعیان (مترمربع)", "Building area (m²)", K.DECIMAL,
              minimum=0, aliases=("مساحت اعیان",)),
        Field("plate", "پلاک ثبتی", "Registration plate", K.TEXT, public_identity=True),
        Field("deed_type", "نوع سند", "Deed type", K.ENUM, REQUIRED, enum=DEED_TYPES),
        Field("share_dang", "سهم (دانگ)", "Share (dang, of 6)", K.DECIMAL, minimum=0, maximum=6,
              aliases=("سهم", "دانگ")),
        Field("occupancy", "وضعیت بهره‌برداری", "Occupancy", K.ENUM, REQUIRED, enum=OCCUPANCIES),
        Field("holder_kind", "نوع بهره‌بردار", "Holder kind", K.ENUM, enum=HOLDER_KINDS),
        Field("holder", "بهره‌بردار", "Holder (organisations only)", K.TEXT,
              visibility=V.CONDITIONAL, published_when=When("holder_kind", ORGANISATION, "اشخاص حقوقی"),
              withheld_why="نام بهره‌بردار حقیقی (شخص) منتشر نمی‌شود؛ فقط نام نهادها."),
        Field("contract_start", "تاریخ شروع قرارداد", "Contract start", K.DATE),
        Field("contract_end", "تاریخ پایان قرارداد", "Contract end", K.DATE),
        Field("monthly_rent_rial", "اجاره ماهانه (ریال)", "Monthly rent (IRR)", K.INTEGER,
              minimum=0, aliases=("اجاره ماهانه",)),
        Field("appraisal_rial", "ارزش کارشناسی (ریال)", "Appraised value (IRR)", K.INTEGER,
              minimum=0, aliases=("ارزش کارشناسی",)),
        Field("latitude", "عرض جغرافیایی", "Latitude", K.DECIMAL, aliases=("عرض",),
              bounds_setting="latitude"),
        Field("longitude", "طول جغرافیایی", "Longitude", K.DECIMAL, aliases=("طول",),
              bounds_setting="longitude"),
    ),
)

TABLES = (RULINGS, VIOLATIONS, PROPERTIES)
TABLES_BY_NAME = {t.name: t for t in TABLES}

# Record pages live at <table>/<slug>/, beside listings at rulings/page/2/ and
# properties/<facet>/<value>/: a record whose slug is one of these segments would take a
# listing's path. Validation rejects such keys; the plugin checks its pages against this list.
RESERVED_SLUGS = {
    RULINGS.name: ("page",),
    PROPERTIES.name: ("page", "district", "use", "occupancy", "flag", "map"),
}
