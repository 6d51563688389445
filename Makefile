# The two commands a new user runs: `make demo` and `make test`. Each sets itself up (virtualenv in .venv).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench security clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/cxroi demo

# The browser tests' axe-core comes from npm (package-lock.json pins it); Chromium, npm and pdftoppm are system
# packages: when one is missing, the tests that need it skip and the run's last line says what to install.
test: $(STAMP)
	@if [ ! -f node_modules/axe-core/axe.min.js ]; then \
	  if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund; \
	  else echo "make test: npm is missing, so the browser tests will skip: install npm (apt-get install npm)"; fi; \
	fi
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check surveys roi webapp tests benchmarks
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m benchmarks

security: $(STAMP)
	$(VENV)/bin/bandit -r surveys roi webapp -ll -q

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache
