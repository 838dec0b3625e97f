"""Helpers and fixtures for the tests of the built site (import them into a test module).

Expected values are computed from the published datasets (``output/data/*.csv``), never from
the plugin's code, so that a grouping or counting bug in the plugin makes a test fail.
"""
from __future__ import annotations

import csv
import json
import re
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.values import match_key

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ROLES = (("interior_rep", "interior"), ("judiciary_rep", "judiciary"), ("council_rep", "council"))


def fa_int(text: str) -> int:
    """«۱٬۲۳۴» (as a reader sees it) → 1234."""
    digits = re.sub(r"[^0-9]", "", text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")))
    assert digits, f"no number in {text!r}"
    return int(digits)


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass
class SiteData:
    rulings: list[dict]
    violations: list[dict]
    properties: list[dict]

    @property
    def by_no(self) -> dict[str, dict]:
        return {r["ruling_no"]: r for r in self.rulings}

    def member_rulings(self, role: str) -> dict[str, list[dict]]:
        """match key of a member's name → the rulings the member took part in."""
        groups: dict[str, list[dict]] = defaultdict(list)
        for r in self.rulings:
            groups[match_key(r[role])].append(r)
        return groups

    def decisions_of(self, ruling_nos: set[str]) -> Counter:
        return Counter(v["decision"] for v in self.violations if v["ruling_no"] in ruling_nos)

    def appeal_pairs(self) -> list[tuple[dict, dict]]:
        by_no = self.by_no
        return [(r, by_no[r["appealed_ruling_no"]]) for r in self.rulings
                if r["appealed_ruling_no"] and r["appealed_ruling_no"] in by_no]


def load_site_data(output: Path) -> SiteData:
    data = output / "data"
    return SiteData(read_csv(data / "rulings.csv"), read_csv(data / "violations.csv"),
                    read_csv(data / "properties.csv"))


@pytest.fixture(scope="session")
def site_data(sample_site) -> SiteData:
    return load_site_data(sample_site.output)


@pytest.fixture(scope="session")
def member_path(sample_site, site_data) -> str:
    """The page of the council member with the most rulings (found by the link on a ruling)."""
    groups = site_data.member_rulings("council_rep")
    key = max(sorted(groups), key=lambda k: len(groups[k]))
    ruling = groups[key][0]
    html = (sample_site.output / "rulings" / ruling["slug"] / "index.html").read_text(encoding="utf-8")
    match = re.search(r'<li data-role="council">.*?href="\.\./\.\./(members/[^"]+)"', html)
    assert match, "the ruling page does not link its council member"
    return match.group(1)


@pytest.fixture(scope="session")
def key_pages(site_data, member_path) -> dict[str, str]:
    """The pages a citizen lands on, by name → path under the site root."""
    appeal, first = site_data.appeal_pairs()[0]
    busiest = Counter(r["district"] for r in site_data.rulings).most_common(1)[0][0]
    return {
        "home": "",
        "appeal": f"rulings/{appeal['slug']}/",
        "first-instance": f"rulings/{first['slug']}/",
        "member": member_path,
        "members": "members/",
        "district": f"districts/{busiest}/",
        "district-page-2": f"districts/{busiest}/page/2/",
        "districts": "districts/",
        "types": "types/",
        "property": f"properties/{site_data.properties[0]['slug']}/",
        "properties": "properties/",
        "properties-district": f"properties/district/{site_data.properties[0]['district']}/",
        "about": "about/",
        "methodology": "methodology/",
        "datasets": "data/",
        "dictionary": "data/dictionary/",
        "changes": "data/changes/",
        "search": "search/",
        "404": "404.html",
    }


def file_of(output: Path, path: str) -> Path:
    return output / path / "index.html" if path == "" or path.endswith("/") else output / path


def axe_serious(page) -> list:
    """axe's serious and critical violations on the page as it is loaded: (rule, impact, first
    three targets) each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


def nu_errors(files) -> list[str]:
    """The Nu HTML checker's errors (and fatal messages) on these files, each with its file."""
    run = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
                         capture_output=True, text=True, check=False, timeout=300)
    messages = json.loads(run.stderr or run.stdout or '{"messages": []}')["messages"]
    return [f"{m.get('url', '')}: {m['message']}" for m in messages
            if m.get("type") == "error" or m.get("subType") == "fatal"]
