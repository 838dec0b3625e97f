"""A setting, an error code or a make target that the README does not explain is a defect."""
import re
from pathlib import Path

import pytest

from pipeline import settings
from pipeline.errors import FILE_ERRORS, ROW_ERRORS, WARNINGS
from pipeline.settings import PELICAN_PATHS, SITE_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")


@pytest.mark.parametrize("key", [*settings.REQUIRED_KEYS, *settings.OPTIONAL_KEYS])
def test_every_municipality_setting_is_documented(key):
    assert f"| `{key}` |" in README


@pytest.mark.parametrize("code", [*ROW_ERRORS, *WARNINGS, *FILE_ERRORS])
def test_every_error_code_is_documented(code):
    assert f"`{code}`" in README


def test_pelicanconf_block_has_exactly_the_documented_keys():
    block = settings.load().__dict__
    assert set(block) == set(settings.REQUIRED_KEYS) | set(settings.OPTIONAL_KEYS)


@pytest.mark.parametrize("name", sorted(SITE_SETTINGS))
def test_every_site_setting_is_documented_and_set(name):
    import pelicanconf
    assert f"| `{name}` |" in README
    assert SITE_SETTINGS[name](getattr(pelicanconf, name))


@pytest.mark.parametrize("target", ["html", "test", "publish", "upload", "serve", "clean", "bench", "bench-search"])
def test_every_make_target_is_documented(target):
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^{re.escape(target)}:", makefile, re.M)
    assert re.search(rf"make {re.escape(target)}(?![\w-])", README)


@pytest.mark.parametrize("name, value", [("LISTING_PAGE_SIZE", 0), ("RULINGS_FEED_ITEMS", "50"),
                                         ("RENDER_PROCESSES", 3), ("RECORD_PATHS", ["../rulings"]),
                                         ("LATEST_RULINGS_ON_HOME", None), ("CACHE_PATH", ""),
                                         ("CACHE_PATH", None),
                                         # Pelican's own paths must be the scheme's (pipeline/urls.py)
                                         ("SEARCH_URL", "find/"), ("SEARCH_SAVE_AS", "search.html"),
                                         ("PAGE_URL", "pages/{slug}/"), ("THEME_STATIC_DIR", "static")])
def test_a_bad_site_setting_stops_the_build(name, value):
    from types import SimpleNamespace

    import pelicanconf
    from pipeline.settings import SettingsError
    from plugins.shafaf import check_settings
    good = {key: getattr(pelicanconf, key) for key in (*SITE_SETTINGS, *PELICAN_PATHS)}
    check_settings(SimpleNamespace(settings=good))
    with pytest.raises(SettingsError, match=name):
        check_settings(SimpleNamespace(settings={**good, name: value}))
    missing = dict(good)
    del missing[name]
    with pytest.raises(SettingsError, match=name):
        check_settings(SimpleNamespace(settings=missing))


@pytest.mark.parametrize("line, name", [("LISTING_PAGE_SIZE = 0", "LISTING_PAGE_SIZE"),
                                        ("del RENDER_PROCESSES", "RENDER_PROCESSES"),
                                        ("CACHE_PATH = ''", "CACHE_PATH"),
                                        ("SEARCH_URL = 'find/'", "SEARCH_URL"),
                                        ("MUNICIPALITY = {**MUNICIPALITY, 'districts': 0}", "districts"),
                                        ("del MUNICIPALITY", "MUNICIPALITY")])
def test_a_bad_setting_is_one_message_at_every_entry_point(tmp_path, capsys, line, name):
    from pipeline import publish
    from pipeline.__main__ import main
    bad = tmp_path / "pelicanconf.py"
    bad.write_text((ROOT / "pelicanconf.py").read_text("utf-8") + f"\n{line}\n", "utf-8")
    with pytest.raises(settings.SettingsError, match=name):
        settings.load(bad)
    assert main(["--settings", str(bad), "--content", str(tmp_path / "c"), "--output", str(tmp_path / "o"),
                 "--reports", str(tmp_path / "r"), "--cache", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert "Shafaf stopped: " in err and name in err and "Traceback" not in err
    with pytest.raises(publish.Refused) as refused:
        publish.load_settings(bad)
    assert refused.value.gate == "settings" and name in str(refused.value.findings[0])


def _module_table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("| stage | module |")
    return text[start:text.index("\n\n", start)]


@pytest.mark.parametrize("module", sorted(
    str(path.relative_to(ROOT)) for folder in ("pipeline", "plugins/shafaf")
    for path in (ROOT / folder).glob("*.py") if path.name != "__init__.py" or folder != "pipeline"))
def test_every_module_is_in_the_readme_module_table(module):
    """The README's module table is how a newcomer finds the code: every module has its row."""
    name = Path(module).name
    assert f"`{module}`" in _module_table() or f"`{name}`" in _module_table(), module
