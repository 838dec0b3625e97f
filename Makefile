# Shafaf: `make html` builds the site from the sample exports, `make test` runs the tests.
# Both set themselves up on a fresh machine (virtualenv, pinned packages, npm packages).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXPORTS ?= data/sample
CONTENT := content
OUTPUT ?= output
REPORTS ?= reports
PELICAN_SETTINGS ?= pelicanconf.py
# make publish: the folder staff keep (last publication's fingerprints and the change log),
# the publication date (today in Tehran unless given) and FORCE=1 to publish past the
# rejected-rows gate. The site's address comes from SHAFAF_SITEURL (see publishconf.py).
STATE ?= state
PUBLICATION_DATE ?= $(shell TZ=Asia/Tehran date +%F)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

VENDOR := theme/static/vendor
VENDOR_FILES := $(VENDOR)/lunr.min.js $(VENDOR)/Vazirmatn-Regular.woff2 $(VENDOR)/Vazirmatn-Bold.woff2 $(VENDOR)/OFL.txt

.PHONY: html data setup test serve clean regenerate-sample publish upload

html: data
	$(BIN)/pelican $(CONTENT) -o $(OUTPUT) -s $(PELICAN_SETTINGS)

data: setup
	$(BIN)/python -m pipeline --exports $(EXPORTS) --content $(CONTENT) --output $(OUTPUT) --reports $(REPORTS)

test: setup
	$(BIN)/python -m pytest

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

publish: setup
	$(BIN)/python -m pipeline.publish --exports $(EXPORTS) --content $(CONTENT) --output $(OUTPUT) \
		--reports $(REPORTS) --state $(STATE) --date $(PUBLICATION_DATE) $(if $(filter-out 0,$(FORCE)),--force)

# Copies the published site to the web server; checksums, not times, decide what is sent.
upload:
	@test -n "$$SHAFAF_UPLOAD_DEST" || { echo "make upload: set SHAFAF_UPLOAD_DEST (e.g. user@host:/srv/shafaf/)" >&2; exit 1; }
	@test -f $(OUTPUT)/index.html || { echo "make upload: $(OUTPUT)/ holds no site; run make publish first" >&2; exit 1; }
	rsync -rlc --delete $(OUTPUT)/ "$$SHAFAF_UPLOAD_DEST"

serve: html
	$(BIN)/pelican --listen -o $(OUTPUT) -s $(PELICAN_SETTINGS)

regenerate-sample: setup
	$(BIN)/python -m tools.make_sample_exports --out data/sample

clean:
	rm -rf $(OUTPUT) $(OUTPUT).new $(REPORTS) $(CONTENT)/rulings $(CONTENT)/properties __pycache__ .pytest_cache

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
