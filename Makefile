# rescuecircle: `make run` serves the demo city (or OSM=path/to/city.osm.pbf), `make test` runs
# the suite. Both install what is missing: Debian packages, a Python >= 3.12 virtualenv, the
# project-local PostgreSQL cluster.

PYTHON ?= $(shell scripts/find-python.sh)
VENV   := .venv
RC     := $(VENV)/bin/rescuecircle
PYTEST_ARGS ?=

.PHONY: run test deps test-deps venv web db lint bench-env bench clean

# On the demo city the simulator plays its volunteers and ambulances beside the server (it
# stops with the recipe's shell, that is with the server); a real city gets none.
run: deps venv web db
ifdef OSM
	$(RC) import osm "$(OSM)"
	$(RC) serve
else
	$(RC) demo load
	$(RC) simulate --stop-with-parent & $(RC) serve
endif

test: test-deps venv web lint
	$(RC) db init
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

deps:
	scripts/install-deps.sh

test-deps:
	scripts/install-deps.sh --test

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || exit 1
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	touch $@

# MapLibre GL JS from npm, copied into web/vendor by package.json's postinstall (no CDN).
web: web/vendor/maplibre-gl.js

web/vendor/maplibre-gl.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

db: venv
	$(RC) db init
	$(RC) db migrate

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy rescuecircle localdb cli formats demo gis routing planning services api

bench-env:  # the benchmark-only venv with the anchors (pyvalhalla, osrm-bindings)
	PYTHON=$(PYTHON) bench/setup-env.sh

bench: bench-env db  # every benchmark; figures go to docs/benchmarks.md by hand
	bench/.venv/bin/python bench/import_osm.py
	bench/.venv/bin/python bench/routing_engines.py
	bench/.venv/bin/python bench/compare_walk_areas.py
	bench/.venv/bin/python bench/tiles.py

clean:
	-$(RC) db stop
	rm -rf $(VENV) .rc node_modules web/vendor
