# `make demo` and `make test` are the whole setup on a fresh clone: each creates .venv when missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LINTED := bot core handlers scheduler storage tests benchmarks

.PHONY: venv test lint demo tour bench fuzz clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "PhuanKru needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The suite runs on TEST_WORKERS pytest-xdist workers (default: one per core; `make test TEST_WORKERS=0` runs it in
# one process). --dist worksteal: an idle worker takes tests queued for a busy one, so one slow test (the scale-out
# proof takes minutes) does not leave the other core idle at the end. Each worker starts its own PostgreSQL cluster.
# pytest exits 5 when it collected no test: that is a broken suite, not a pass (xdist keeps that exit code).
TEST_WORKERS ?= auto
test: lint
	@$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest ran NO tests - failing loudly" >&2; exit 1; fi; \
	exit $$rc

demo: $(STAMP)
	$(VENV)/bin/phuankru demo

tour: $(STAMP)
	$(VENV)/bin/phuankru demo --tour

bench: $(STAMP)
	$(PY) -m benchmarks

# Coverage-guided fuzzing of the webhook parsers for FUZZ_SECONDS. atheris is installed here only: it is not a test
# dependency (tests/test_fuzz_target.py runs the same target without it). Crashes and the corpus go to .fuzz/.
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check atheris
	mkdir -p .fuzz/corpus
	$(PY) tests/fuzz/fuzz_webhooks.py -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=.fuzz/ .fuzz/corpus

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .fuzz *.egg-info
