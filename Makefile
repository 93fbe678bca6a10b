# Two commands: `make run` starts the dashboard, `make test` runs every test.
# Both create .venv and install what is missing; a stamp file keeps re-runs fast.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test benchmark clean browser audit

# uv installs without compiling bytecode (tools/install_requirements.py says why), so Python must be free to write
# the .pyc files of what it imports: with PYTHONDONTWRITEBYTECODE set, every process would recompile them.
unexport PYTHONDONTWRITEBYTECODE

# tools/install_requirements.py installs with uv (seconds instead of pip's minutes), falling back to pip; --warm
# imports the heaviest libraries once, so their bytecode is written before many processes need it at once. Each
# --warm group is one process, the groups at once (one per core here): groups that share the fewest imports.
WARM_RUNTIME := --warm torch streamlit sqlalchemy plotly.graph_objects \
	--warm sklearn.ensemble sklearn.linear_model lightgbm shap pandas scipy.stats
WARM_TEST := --warm ray.train.torch ray.train.lightgbm --warm streamlit.testing.v1 playwright.sync_api hypothesis jsonschema

$(VENV)/.runtime-installed: requirements.txt tools/install_requirements.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) tools/install_requirements.py requirements.txt $(WARM_RUNTIME)
	touch $@

$(VENV)/.test-installed: $(VENV)/.runtime-installed requirements-test.txt requirements-ray.txt
	$(PY) tools/install_requirements.py requirements-test.txt $(WARM_TEST)
	touch $@

# Headless Chromium for the end-to-end test (Debian packages; Playwright drives /usr/bin/chromium).
browser:
	@test -x /usr/bin/chromium || { \
	  echo "installing chromium for the end-to-end test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null \
	  || { echo "could not install chromium (needs root and the Debian package registry)"; exit 1; }; }

run: $(VENV)/.runtime-installed
	$(PY) -m streamlit run dashboard.py --server.port $(PORT)

# Two parts: the tests that may share the machine on TEST_WORKERS processes (one module per worker; the servers,
# browser and Ray modules among them, filling the CPU they leave idle while they wait), then the ones that run
# sessions at once or judge work against the clock, one at a time (tests/conftest.py SERIAL_MODULES).
# `.venv/bin/python -m pytest` alone still runs everything in one process.
TEST_WORKERS ?= 2

test: $(VENV)/.test-installed browser audit
	$(PY) -m pytest -m "not serial" -n $(TEST_WORKERS) --dist loadfile
	$(PY) -m pytest -m serial

# Known vulnerabilities in the pinned requirements (pip-audit): fails on one. When its database is unreachable it
# prints "NOT AUDITED: <why>" (exit 3) and the tests go on; AUDIT_FLAGS=--require-database makes that a failure.
audit: $(VENV)/.test-installed
	@$(PY) tools/audit_dependencies.py $(AUDIT_FLAGS); status=$$?; \
	if [ $$status -eq 3 ]; then echo "make audit: the pins were NOT audited (see the line above); continuing"; \
	elif [ $$status -ne 0 ]; then exit $$status; fi

benchmark: $(VENV)/.runtime-installed
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
