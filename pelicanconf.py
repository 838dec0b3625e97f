"""Pelican settings for Shafaf. The MUNICIPALITY block is all another city needs to change."""
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

from pipeline.urls import URLS  # noqa: E402  (needs the sys.path line above)

# --- The municipality: everything that differs between cities -------------------------
MUNICIPALITY = {
    "name_fa": "کرج",
    "name_en": "Karaj",
    "districts": 12,
    "latitude": (35.70, 36.00),
    "longitude": (50.80, 51.20),
    "license_id": "CC-BY-4.0",
    "license_title": "Creative Commons Attribution 4.0",
    # its name as the pages say it (the English one stays in datapackage.json and files.json)
    "license_title_fa": "کریتیو کامنز اِسناد ۴٫۰ بین‌المللی",
    "license_url": "https://creativecommons.org/licenses/by/4.0/",
    "contact": "shafaf@karaj.ir",
    "publisher_fa": "شهرداری کرج",
    # The public address `make publish` builds for (the SHAFAF_SITEURL variable overrides it).
    "site_url": "",
    # The base map of the map pages: a tile URL template on one https host ("" = no tiles).
    "map_tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "map_attribution": "© مشارکت‌کنندگان OpenStreetMap",
    "map_attribution_url": "https://www.openstreetmap.org/copyright",
    # The low-rent flag of the property registry (README: settings; methodology page, #flags):
    # rent per m² below this percentage of the median of the same district and land use...
    "rent_flag_percent": 50,
    # ...compared only within a group of at least this many let properties with a rent.
    "rent_flag_min_group": 5,
}

SITENAME = f"شفاف — شهرداری {MUNICIPALITY['name_fa']}"
SITEURL = ""
RELATIVE_URLS = True
AUTHOR = MUNICIPALITY["publisher_fa"]
DEFAULT_LANG = "fa"
TIMEZONE = "Asia/Tehran"

PATH = "content"
THEME = "theme"
# The pipeline's ruling and property pages are read and rendered by the plugin
# (plugins/shafaf/records.py), not by Pelican's article and page generators: at 100k rulings
# those cost minutes per build (BENCHMARKS.md). Pelican's own pages are the staff's in pages/;
# there are no articles (without this line every Markdown file would be one).
ARTICLE_PATHS = []
PAGE_PATHS = ["pages"]
RECORD_PATHS = ["rulings", "properties"]
RENDER_PROCESSES = 2   # the plugin renders pages on this many processes (fork); 1: one
STATIC_PATHS = []
READERS = {"html": None}  # only the Markdown the pipeline writes (and pages staff write)

# Pages Pelican writes itself: their paths come from the scheme (the plugin checks them).
PAGE_URL = URLS.static_page("{slug}")
PAGE_SAVE_AS = URLS.save_as(PAGE_URL)
DRAFT_PAGE_SAVE_AS = PAGE_LANG_SAVE_AS = ""   # a staff page in draft or in another language stays unpublished
DIRECT_TEMPLATES = ["index", "search"]
SEARCH_URL = URLS.search()
SEARCH_SAVE_AS = URLS.save_as(SEARCH_URL)
DEFAULT_PAGINATION = False
SLUGIFY_USE_UNICODE = True

FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

# Cell text is escaped by the pipeline; templates escape every value they print.
MARKDOWN = {
    "extension_configs": {"markdown.extensions.tables": {}},
    "output_format": "html5",
}
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True}

PLUGIN_PATHS = ["plugins"]
PLUGINS = ["shafaf"]

THEME_STATIC_DIR = URLS.theme("").rstrip("/")
THEME_STATIC_PATHS = []  # copied by the plugin, only when changed (ThemeFilesGenerator)
LATEST_RULINGS_ON_HOME = 20

from pipeline import display  # noqa: E402  (needs the sys.path line above)

JINJA_FILTERS = display.FILTERS

# --- the Shafaf plugin's listings (plugins/shafaf) --------------------------------------
LISTING_PAGE_SIZE = 50      # rulings or properties per listing page on screen (members: all)
RULINGS_FEED_ITEMS = 50     # entries in each Atom feed (site-wide and per district)

# --- rebuilds: only what changed -----------------------------------------------------
# Pelican's content cache serves the staff's pages; the plugin keeps its own for the pipeline's
# (plugins/shafaf/records.py), and its writer leaves output files whose new content is the
# same untouched.
LOAD_CONTENT_CACHE = True
CACHE_CONTENT = True
CONTENT_CACHING_LAYER = "reader"
CHECK_MODIFIED_METHOD = "mtime"
# make html's caches (Pelican's and the plugin's); make publish gives Pelican its own,
# <--cache>/pelican/, on the command line, so that sites built from one checkout share none.
CACHE_PATH = str(_HERE / "cache" / "pelican")
STATIC_CHECK_IF_MODIFIED = True
# One language: no page is looked for as a translation of another.
PAGE_TRANSLATION_ID = None
