# The two commands of the README:
#   make demo   - set up, then run the whole service embedded with live simulated games
#   make test   - set up, then run lint, type checks and the whole test suite
# Everything else here is what those two need on a fresh machine.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo serve test lint typecheck pytest setup constraints browser edge clean

demo: setup
	$(BIN)/scoreline demo

serve: setup
	$(BIN)/scoreline serve

test: setup browser edge lint typecheck pytest

setup: $(VENV)/.installed

# Pinned by constraints.txt: a release upstream cannot change what a clean clone installs.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]" -c constraints.txt
	touch $@

# The newest versions pyproject.toml admits, frozen into constraints.txt (then run make test).
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/pip install --quiet -e ".[test]"
	{ head -n 2 constraints.txt; .venv-constraints/bin/pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf .venv-constraints

# The fan-page tests drive a real headless Chromium (Debian package).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian package) for the fan-page tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The edge tests run a real Varnish (Debian package).
edge:
	@command -v varnishd >/dev/null 2>&1 || [ -x /usr/sbin/varnishd ] || { \
	  echo "installing varnish (Debian package) for the edge tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq varnish >/dev/null; }

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest --durations=15

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis scoreline-data
