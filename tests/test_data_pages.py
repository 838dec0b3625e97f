"""The press's pages: datasets page, data dictionary and change log, as published."""
from __future__ import annotations

import hashlib
import html as htmllib
import json
import re

import pytest

from pipeline.schema import TABLES


@pytest.fixture(scope="module")
def catalogue(sample_site):
    return json.loads((sample_site.output / "data" / "files.json").read_text("utf-8"))


def test_datasets_page_lists_every_file_with_its_true_size_and_hash(sample_site, catalogue):
    html = (sample_site.output / "data" / "index.html").read_text("utf-8")
    for dataset in catalogue["datasets"]:
        for described in dataset["files"]:
            data = (sample_site.output / "data" / described["path"]).read_bytes()
            assert described["sha256"] == hashlib.sha256(data).hexdigest()
            assert described["bytes"] == len(data)
            assert described["sha256"] in html
            assert f'href="../data/{described["path"]}"' in html or f'href="./{described["path"]}"' in html \
                or f'/data/{described["path"]}"' in html
    assert {d["name"] for d in catalogue["datasets"]} == {t.name for t in TABLES}


@pytest.mark.parametrize("table", TABLES, ids=[t.name for t in TABLES])
def test_dictionary_lists_every_field_with_both_labels(sample_site, table):
    html = (sample_site.output / "data" / "dictionary" / "index.html").read_text("utf-8")
    section = html[html.index(f'id="{table.name}"'):]
    section = section[:section.index("</section>")]
    names = re.findall(r'<th scope="row"><code dir="ltr">([a-z_0-9]+)</code></th>', section)
    assert names == [f.name for f in table.all_fields]
    for f in table.fields:
        assert f.label_en in htmllib.unescape(section)
    withheld = section.count('class="withheld"')
    assert withheld == len(table.private_fields)


def test_change_log_page_shows_the_publication(sample_site):
    changes = json.loads((sample_site.output / "data" / "changes.json").read_text("utf-8"))
    html = (sample_site.output / "data" / "changes" / "index.html").read_text("utf-8")
    for publication in changes["publications"]:
        assert f'datetime="{publication["published"]}"' in html
