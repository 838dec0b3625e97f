# Shafaf: `make html` builds the site from the sample exports, `make test` runs the tests.
# Both set themselves up on a fresh machine (virtualenv, pinned packages, npm packages).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXPORTS ?= data/sample
CONTENT := content
# make html builds a preview into PREVIEW; only make publish writes OUTPUT, the published site
# that make upload sends. The two never share a folder.
PREVIEW ?= preview
OUTPUT ?= output
REPORTS ?= reports
PELICAN_SETTINGS ?= pelicanconf.py
# make publish: the folder staff keep (last publication's fingerprints and the change log),
# the publication date (today in Tehran unless given) and FORCE=1 to publish past the
# rejected-rows, shrink and date gates, FIRST=1 to publish with no state beside a published
# site, WAIT=1 to wait for a running publish or upload instead of stopping, FULL_CHECK=1 to build
# into an empty folder and run every gate over every file (a publish otherwise starts from the
# live site and checks what changed: pipeline.incremental). The site's address
# comes from SHAFAF_SITEURL (see publishconf.py).
STATE ?= state
# make publish and make upload keep their caches here (Pelican's under $(CACHE)/pelican/); make html
# keeps its own in the code folder's cache/ (CACHE_PATH in pelicanconf.py).
CACHE ?= cache
PUBLICATION_DATE ?= $(shell TZ=Asia/Tehran date +%F)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

VENDOR := theme/static/vendor
VENDOR_FILES := $(VENDOR)/lunr.min.js $(VENDOR)/Vazirmatn-Regular.woff2 $(VENDOR)/Vazirmatn-Bold.woff2 $(VENDOR)/OFL.txt \
	$(VENDOR)/leaflet/leaflet.js $(VENDOR)/leaflet/leaflet.css $(VENDOR)/leaflet/LICENSE \
	$(VENDOR)/leaflet/markercluster.js $(VENDOR)/leaflet/MarkerCluster.css \
	$(VENDOR)/leaflet/markercluster-LICENSE.txt

.PHONY: html data setup test serve clean regenerate-sample publish upload recover

# A preview shares content/ and cache/ with make publish: both hold $(CONTENT).lock while they
# build (pipeline.lock), so a preview waits for a running publish and never mixes its pages in.
PIPELINE = $(BIN)/python -m pipeline --exports $(EXPORTS) --content $(CONTENT) --output $(PREVIEW) --reports $(REPORTS)
LOCKED = @flock -n $(CONTENT).lock true || echo "make: waiting for the publish that is building $(CONTENT)/ …"; \
	flock $(CONTENT).lock

html: setup
	$(LOCKED) sh -c '$(PIPELINE) && $(BIN)/pelican $(CONTENT) -o $(PREVIEW) -s $(PELICAN_SETTINGS)'

data: setup
	$(LOCKED) $(PIPELINE)

# The tests run in parallel (pyproject.toml); PYTEST_ARGS adds options: -n 0 (serially),
# a file, -k, --durations=N (CI prints the slowest).
PYTEST_ARGS ?=
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: $(BIN)/.installed node_modules/.installed $(VENDOR_FILES)

$(BIN)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(VENDOR)/lunr.min.js: node_modules/.installed
	mkdir -p $(VENDOR) && cp node_modules/lunr/lunr.min.js $@
$(VENDOR)/Vazirmatn-%.woff2: node_modules/.installed
	mkdir -p $(VENDOR) && cp node_modules/vazirmatn/fonts/webfonts/Vazirmatn-$*.woff2 $@
$(VENDOR)/OFL.txt: node_modules/.installed
	mkdir -p $(VENDOR) && cp node_modules/vazirmatn/OFL.txt $@
# The map pages' Leaflet and Leaflet.markercluster, with their licences (no CDN).
# Leaflet's Web Mercator bound 85.0511287798 reads, to the personal-data gate, as a national ID
# that passes the checksum (0511287798); the same bound to the double's full precision
# (atan(sinh(π)) in degrees, 85.0511287798066) is no ten-digit run and moves no marker.
$(VENDOR)/leaflet/leaflet.js: node_modules/.installed
	mkdir -p $(VENDOR)/leaflet && sed 's/MAX_LATITUDE:85\.0511287798,/MAX_LATITUDE:85.0511287798066,/' \
		node_modules/leaflet/dist/leaflet.js > $@.tmp && grep -q 'MAX_LATITUDE:85.0511287798066,' $@.tmp && mv $@.tmp $@
$(VENDOR)/leaflet/leaflet.css: node_modules/.installed
	mkdir -p $(VENDOR)/leaflet && cp node_modules/leaflet/dist/leaflet.css $@
$(VENDOR)/leaflet/LICENSE: node_modules/.installed
	mkdir -p $(VENDOR)/leaflet && cp node_modules/leaflet/LICENSE $@
$(VENDOR)/leaflet/markercluster.js: node_modules/.installed
	mkdir -p $(VENDOR)/leaflet && cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js $@
# (the clusters' colours are the theme's own, in css/map.css, not MarkerCluster.Default.css)
$(VENDOR)/leaflet/MarkerCluster.css: node_modules/.installed
	mkdir -p $(VENDOR)/leaflet && cp node_modules/leaflet.markercluster/dist/MarkerCluster.css $@
$(VENDOR)/leaflet/markercluster-LICENSE.txt: node_modules/.installed
	mkdir -p $(VENDOR)/leaflet && cp node_modules/leaflet.markercluster/MIT-LICENCE.txt $@

publish: setup
	$(BIN)/python -m pipeline.publish --exports $(EXPORTS) --content $(CONTENT) --output $(OUTPUT) \
		--reports $(REPORTS) --state $(STATE) --cache $(CACHE) --date $(PUBLICATION_DATE) $(if $(filter-out 0,$(FORCE)),--force) \
		$(if $(filter-out 0,$(FIRST)),--first) $(if $(filter-out 0,$(WAIT)),--wait) \
		$(if $(filter-out 0,$(FULL_CHECK)),--full-check)

# Sends the published site, only as publish sealed it, to $$SHAFAF_UPLOAD_DEST (rsync -rlc --delete).
upload: setup
	$(BIN)/python -m pipeline.upload --output $(OUTPUT) --state $(STATE) --cache $(CACHE) $(if $(filter-out 0,$(WAIT)),--wait)

# Finishes (or clears) a publish that was interrupted, then stops.
recover: setup
	$(BIN)/python -m pipeline.publish --recover --output $(OUTPUT) --state $(STATE)

serve: html
	$(BIN)/pelican --listen -o $(PREVIEW) -s $(PELICAN_SETTINGS)

regenerate-sample: setup
	$(BIN)/python -m tools.make_sample_exports --out data/sample

# The published site (OUTPUT, OUTPUT.prev) and STATE are staff's, never removed here.
clean:
	rm -rf $(PREVIEW) $(OUTPUT).new $(REPORTS) $(CONTENT)/rulings $(CONTENT)/properties __pycache__ .pytest_cache

# Search index figures at 10k, 50k and 100k generated rulings (prints; asserts nothing).
SIZES ?= 10000 50000 100000
.PHONY: bench-search
bench-search: setup
	$(BIN)/python -m tools.bench_search $(SIZES)

# The whole build (pipeline + Pelican) from generated xlsx exports, cold and after 1 % of the
# rulings changed: wall, CPU and peak memory per stage, output size (prints; asserts nothing).
.PHONY: bench
bench: setup
	$(BIN)/python -m tools.bench_build $(SIZES)
