# placement — the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt
# Debian packages the tests run for real: a Prometheus server (+ promtool), a Pushgateway, and etcd
# (for the real Kubernetes control plane the e2e tests start from ../shared/k8s).

.PHONY: demo test lint schema bench bench-solve bench-consolidation bench-pricing bench-refresh bench-forecast bench-cases bench-scaleout e2e system-packages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip

# Runtime install (re-run only when pyproject.toml changes, so `make demo` stays fast).
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt $(VENV)/.installed
	$(PIP) -e '.[test,notebooks,ray]'
	$(BIN)/python -m ipykernel install --user --name python3 >/dev/null 2>&1 || true
	touch $@

demo: $(VENV)/.installed
	$(BIN)/placement plan

system-packages:
	@missing=""; \
	command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v prometheus-pushgateway >/dev/null 2>&1 || missing="$$missing prometheus-pushgateway"; \
	command -v etcd >/dev/null 2>&1 || missing="$$missing etcd-server"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

test: $(VENV)/.installed-test system-packages
	$(BIN)/ruff check placement pricing forecasting tests e2e bench
	$(BIN)/ruff format --check placement pricing forecasting tests e2e bench
	$(BIN)/pytest

# Regenerate the shipped Scenario JSON Schema from its description in code (placement/load/schema.py).
schema: $(VENV)/.installed
	$(BIN)/placement scenario schema --write placement/data/scenario.schema.json

lint: $(VENV)/.installed-test
	$(BIN)/ruff check placement pricing forecasting tests e2e bench
	$(BIN)/ruff format --check placement pricing forecasting tests e2e bench

# Benchmarks print their figures and compare against peers/baselines in the same run (see bench/).
$(VENV)/.installed-bench: pyproject.toml constraints.txt $(VENV)/.installed-test
	$(PIP) -e '.[test,notebooks,ray,bench]'
	touch $@

bench: bench-solve bench-consolidation bench-pricing bench-refresh bench-forecast bench-cases bench-scaleout

bench-solve: $(VENV)/.installed-bench
	$(BIN)/python bench/solve.py

bench-consolidation: $(VENV)/.installed-bench
	$(BIN)/python bench/consolidation.py --demo --sizes 100x10,1000x20
	$(BIN)/python bench/consolidation.py --catalog embedded --sizes 100x10,1000x20

bench-pricing: $(VENV)/.installed-bench
	$(BIN)/python bench/pricing.py

bench-refresh: $(VENV)/.installed-bench
	$(BIN)/python bench/refresh_local.py

bench-forecast: $(VENV)/.installed-bench
	$(BIN)/python bench/forecast.py

bench-cases: $(VENV)/.installed-bench
	$(BIN)/python bench/casestudies.py

bench-scaleout: $(VENV)/.installed-bench
	$(BIN)/python bench/scaleout.py

# The e2e suite alone: on the local control plane (../shared/k8s + etcd), or on the cluster
# PLACEMENT_E2E_KUBECONFIG names (see e2e/README.md). `make test` runs it too.
e2e: $(VENV)/.installed-test system-packages
	$(BIN)/pytest -m e2e e2e

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
