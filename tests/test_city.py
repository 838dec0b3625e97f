"""Another city changes only the MUNICIPALITY block: no word of Karaj's is left in its site.

The staff pages (content/pages/) name the city, its publisher, licence, contact and number of
districts through ``{city:<key>}``, filled from MUNICIPALITY by the ``municipal`` filter.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from markupsafe import Markup

from conftest import BIN, ROOT
from factory import property_, ruling, write_exports
from pipeline import settings
from pipeline.display import PlaceholderError, municipal

KARAJ = settings.load(ROOT / "pelicanconf.py")
OTHER = {
    "name_fa": "تبریز", "name_en": "Tabriz", "districts": 10,
    "latitude": (35.0, 39.0), "longitude": (45.0, 52.0),   # wide enough for the factory's rows
    "license_id": "ODbL-1.0", "license_title": "Open Data Commons Open Database License",
    "license_title_fa": "پروانه‌ی پایگاه داده‌ی باز",
    "license_url": "https://opendatacommons.org/licenses/odbl/1-0/",
    "contact": "data@tabriz.example", "publisher_fa": "شهرداری تبریز",
}
# Karaj's own words: every text value of its block, and its district count as the pages write it.
KARAJ_WORDS = ["کرج", "karaj", KARAJ.publisher_fa, KARAJ.license_title, KARAJ.license_title_fa, KARAJ.contact, "۱ تا ۱۲"]


def _other_city_settings(folder: Path) -> Path:
    path = folder / "othercity.py"
    path.write_text(f"""import sys
sys.path.insert(0, {str(ROOT)!r})
from pelicanconf import *  # noqa: F401,F403
MUNICIPALITY = {OTHER!r}
SITENAME = "شفاف — " + MUNICIPALITY["publisher_fa"]
AUTHOR = MUNICIPALITY["publisher_fa"]
THEME = {str(ROOT / "theme")!r}
PLUGIN_PATHS = [{str(ROOT / "plugins")!r}]
CACHE_PATH = {str(folder / "cache" / "pelican")!r}
""", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def other_site(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("other-city")
    exports = write_exports(work / "exports",
                            rulings=[ruling(address="تبریز، ولیعصر، خیابان نظامی، پلاک ۴۵")],
                            properties=[property_(address="تبریز، ولیعصر، خیابان نظامی")])
    conf = _other_city_settings(work)
    content, output = work / "content", work / "output"
    (content / "pages").mkdir(parents=True)
    for page in (ROOT / "content" / "pages").glob("*.md"):
        (content / "pages" / page.name).write_bytes(page.read_bytes())
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for command in ([sys.executable, "-m", "pipeline", "--exports", str(exports), "--content", str(content),
                     "--output", str(output), "--reports", str(work / "reports"), "--cache", str(work / "cache"),
                     "--settings", str(conf)],
                    [str(BIN / "pelican"), str(content), "-o", str(output), "-s", str(conf)]):
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, check=False)
        assert run.returncode == 0 and "ERROR" not in run.stdout + run.stderr, run.stdout + run.stderr
    return output


@pytest.mark.parametrize("word", KARAJ_WORDS)
def test_no_word_of_karaj_in_another_citys_site(other_site, word):
    found = [str(p.relative_to(other_site)) for p in sorted(other_site.rglob("*")) if p.is_file()
             and word.lower() in p.read_bytes().decode("utf-8", "replace").lower()]
    assert found == []


def test_the_staff_pages_name_the_other_city(other_site):
    about = (other_site / "about" / "index.html").read_text("utf-8")
    assert "«شهرداری تبریز، شفاف»" in about and OTHER["license_title_fa"] in about and OTHER["contact"] in about
    assert "منطقه‌ی خارج از ۱ تا ۱۰،" in (other_site / "methodology" / "index.html").read_text("utf-8")


# --- the filter ---------------------------------------------------------------------------------

CITY = {"publisher_fa": "شهرداری <b>کرج</b> & «ما»", "districts": 12, "contact": 'a"b@c.ir', "site_url": "",
        "latitude": (35.7, 36.0)}


@pytest.mark.parametrize("html, expected", [
    ("<p>{city:publisher_fa}</p>", "<p>شهرداری &lt;b&gt;کرج&lt;/b&gt; &amp; «ما»</p>"),
    ("<p>۱ تا {city:districts}</p>", "<p>۱ تا ۱۲</p>"),
    ("<p>{city:contact}{city:contact}</p>", '<p><bdi dir="ltr">a&#34;b@c.ir</bdi><bdi dir="ltr">a&#34;b@c.ir</bdi></p>'),
    ("<p>{city:site_url}.</p>", "<p>.</p>"),
    ("<p>{city} { city:contact} {xcity:contact} {{city:districts}}</p>",
     "<p>{city} { city:contact} {xcity:contact} {۱۲}</p>"),
    ("<p>no placeholder</p>", "<p>no placeholder</p>"),
])
def test_placeholders_are_filled_escaped(html, expected):
    filled = municipal(Markup(html), CITY, "pages/about.md")
    assert isinstance(filled, Markup) and str(filled) == expected


@pytest.mark.parametrize("key", ["name_en", "latitude", "Publisher_fa", " publisher_fa", "",
                                 "<script>", "__class__", "districts.real"])
def test_a_placeholder_naming_no_value_stops_the_build(key):
    with pytest.raises(PlaceholderError, match="pages/about.md"):
        municipal(Markup(f"<p>{{city:{key}}}</p>"), CITY, "pages/about.md")
