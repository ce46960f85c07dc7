# The two commands the README promises work on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
HOTLINE := $(VENV)/bin/hotline
PYTEST_ARGS ?=
# Parallel pytest-xdist workers, each with its own Asterisk sandbox instance, ports and
# databases (tests/xdist_support.py); the e2e tests mostly wait on audio, so 6 on 2 cores.
# At most 8 (their ports are reserved); PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= 6
# Byte-code caches on (issue 19): with PYTHONDONTWRITEBYTECODE set (this machine sets it) every
# test worker rewrote and compiled all ~300 test modules at collection (16 CPU-s each, 6 CPU-s
# from the cache) and every engine or CLI process a test starts compiled hotline's sources again.
# The caches go to the __pycache__ folders git ignores, as pip's install compiles the venv's.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test bench soak lint screenshots system-deps venv clean

system-deps:
	scripts/install-system-deps.sh

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

demo: system-deps venv
	$(HOTLINE) demo

# mypy (a minute on a cold cache) runs beside pytest, whose workers mostly wait on audio; its
# report is printed after pytest's, and either failing fails the target.
test: system-deps venv
	scripts/ensure-postgres.sh
	$(PY) -m ruff check hotline ivr dialer tests bench
	$(VENV)/bin/lint-imports
	@mkdir -p var
	$(PY) -m compileall -q -j 2 hotline ivr dialer bench tests >/dev/null
	@# pytest's own cache, of its assertion-rewritten test modules, filled once, by two
	@# processes (a half of the tree each), for every worker to read: otherwise each of the
	@# workers rewrites all ~380 modules at collection (11 CPU-s a worker, 5 from the cache).
	$(PY) -m pytest --collect-only -q -p no:cacheprovider tests/unit tests/security >/dev/null & unit=$$!; \
	$(PY) -m pytest --collect-only -q -p no:cacheprovider tests/store tests/e2e tests/web >/dev/null; \
	wait $$unit; true
	$(PY) -m mypy >var/mypy.log 2>&1 & mypy=$$!; \
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS); tests=$$?; \
	wait $$mypy; typed=$$?; echo "mypy:"; cat var/mypy.log; \
	test $$tests -eq 0 && test $$typed -eq 0

# The README's screenshots (docs/screenshots/) taken again; `make test` takes them into
# var/screenshots/ so that a run leaves the tracked images alone (tests/screenshots.py).
SHOT_TESTS := tests/web/test_charts_screenshots.py tests/e2e/test_card_operator_desk.py \
	tests/e2e/test_menus_editor_browser.py tests/e2e/test_kb_operator_browser.py \
	tests/e2e/test_desk_monitor.py
screenshots: system-deps venv
	scripts/ensure-postgres.sh
	HOTLINE_SCREENSHOTS=1 $(PY) -m pytest -n 2 --dist loadgroup $(SHOT_TESTS)

bench: system-deps venv
	$(PY) -m bench

# The chaos soak (issue 21): SOAK_MINUTES of load while seeded faults break every part, then
# the auditor; SOAK_ARGS e.g. --seed 42.
SOAK_MINUTES ?= 10
SOAK_ARGS ?=
soak: system-deps venv
	scripts/ensure-postgres.sh
	$(PY) -m bench soak --minutes $(SOAK_MINUTES) $(SOAK_ARGS)

lint: venv
	$(PY) -m ruff check hotline ivr dialer tests bench
	$(PY) -m ruff format --check hotline ivr dialer tests bench
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
