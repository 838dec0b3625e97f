import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
SAMPLE = ROOT / "data" / "sample"


# The files that take longest (a full run on 2 cores), longest first. pytest-xdist hands whole
# files to its workers in collection order (pyproject.toml: --dist loadfile,
# --no-loadscope-reorder); a long file handed out last would leave the other worker idle until
# it ends. The other files follow in their usual order; a serial run keeps the usual order.
LONGEST_FIRST = (
    "test_publish_faults.py", "test_incremental_publish.py", "test_pages_checked.py", "test_publish.py",
    "test_benchmarks.py", "test_rebuild.py", "test_seal.py", "test_hostile.py", "test_publication.py",
    "test_browser.py", "test_search_oracle.py", "test_reading.py", "test_validate.py", "test_record_index.py",
    "test_search_browser.py", "test_history.py", "test_map.py", "test_member_print.py", "test_city.py",
)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@dataclass
class BuiltSite:
    exports: Path
    content: Path
    output: Path
    reports: Path
    log: str


def build_site(exports: Path, work: Path, settings: str = "pelicanconf.py",
               overrides: tuple[str, ...] = ()) -> BuiltSite:
    """The two steps `make html` runs: the pipeline, then Pelican. ``overrides``: more
    Pelican settings as KEY=VALUE (Pelican keeps only its last ``-e``, so they share it)."""
    site = BuiltSite(exports, work / "content", work / "output", work / "reports", "")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    pipeline = subprocess.run(
        [sys.executable, "-m", "pipeline", "--exports", str(exports), "--content", str(site.content),
         "--output", str(site.output), "--reports", str(site.reports), "--cache", str(work / "cache")],
        cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    assert pipeline.returncode == 0, pipeline.stderr
    # Static pages staff write live in content/pages; the tests build them too.
    pages = ROOT / "content" / "pages"
    if pages.is_dir():
        (site.content / "pages").mkdir(parents=True, exist_ok=True)
        for page in pages.glob("*.md"):
            (site.content / "pages" / page.name).write_bytes(page.read_bytes())
    pelican = subprocess.run(
        [str(BIN / "pelican"), str(site.content), "-o", str(site.output), "-s", str(ROOT / settings),
         "-e", f'CACHE_PATH="{work / "cache" / "pelican"}"', *overrides],
        cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    assert pelican.returncode == 0, pelican.stdout + pelican.stderr
    assert "ERROR" not in pelican.stdout + pelican.stderr, pelican.stdout + pelican.stderr
    site.log = pipeline.stdout + pelican.stdout
    return site


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> BuiltSite:
    """The bundled sample exports built once for the whole session."""
    return build_site(SAMPLE, tmp_path_factory.mktemp("sample-site"))


@pytest.fixture(scope="session")
def sample_package_report(sample_site) -> dict:
    """``frictionless validate --json`` of the sample site's data package, run once for every
    test that checks its own resources in it."""
    from pipeline.urls import URLS
    run = subprocess.run([str(BIN / "frictionless"), "validate", "--json",
                          str(sample_site.output / URLS.datapackage())],
                         capture_output=True, text=True, check=False)
    return json.loads(run.stdout)


# --- a real headless Chromium (Debian's), driven by Playwright --------------------------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="session")
def serve_site(sample_site):
    """The built sample site over HTTP on localhost, as a static host serves it."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(sample_site.output))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def make_page(browser):
    """Makes fresh pages, each in its own context: ``make_page(width=1280, height=900,
    block=("https://tiles.example.org/**",), **context_options)``. A request to a ``block``
    pattern is aborted (as offline) and its URL kept in the page's ``blocked`` list. Each page
    keeps its JavaScript errors in ``js_errors``; any error fails the test."""
    made = []

    def make(width: int = 360, height: int = 800, block: tuple[str, ...] = (), **context_options):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fa-IR",
                                      **context_options)
        tab = context.new_page()
        tab.js_errors, tab.blocked = [], []
        tab.on("pageerror", lambda error: tab.js_errors.append(str(error)))
        for pattern in block:
            context.route(pattern, lambda route: (tab.blocked.append(route.request.url), route.abort()))
        made.append((context, tab))
        return tab

    yield make
    for context, _ in made:
        context.close()
    errors = [error for _, tab in made for error in tab.js_errors]
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def page(make_page):
    """A fresh phone-sized page that fails the test on any JavaScript error."""
    return make_page()
