# Two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
MOLSETS ?= molsets==0.3.1
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip

.PHONY: demo test install install-dev install-chem install-scale install-explore bench bench-iw clean

$(VENV)/.torch:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet "$(TORCH)"
	touch $@

$(VENV)/.installed: $(VENV)/.torch pyproject.toml
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -e ".[dev]"
	touch $@

# The chem extra (RDKit, SELFIES, fcd_torch, qm9pack), with the torch pin passed alongside so pip
# never swaps torch; molsets (the MOSES files) without its dependencies: it pins an old pomegranate
# that does not build, and vaelab reads only its data files.
$(VENV)/.installed-chem: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[chem]" "$(TORCH)"
	$(PIP) install --quiet --no-deps "$(MOLSETS)"
	touch $@

# Ray Tune, Optuna, TensorBoard and MLflow (sweeps and tracking); the torch pin again so pip keeps it.
$(VENV)/.installed-scale: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[scale]" "$(TORCH)"
	touch $@

# Starlette and uvicorn for `vaelab explore` (docs/explore.md); the torch pin again so pip keeps it.
$(VENV)/.installed-explore: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[explore]" "$(TORCH)"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-chem: $(VENV)/.installed-chem
install-scale: $(VENV)/.installed-scale
install-explore: $(VENV)/.installed-explore

demo: $(VENV)/.installed $(VENV)/.installed-chem
	$(PY) -m vaelab.demo

# The layer contract (pyproject.toml, [tool.importlinter]) first: an import that goes up a floor fails.
test: $(VENV)/.installed-dev $(VENV)/.installed-chem $(VENV)/.installed-scale $(VENV)/.installed-explore browser
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q $(PYTEST_ARGS)

# Best effort, never fails: tests/report/test_browser.py needs chromium and chromedriver (it is
# skipped without them). Installs them with apt-get when missing, as root or with passwordless sudo.
.PHONY: browser
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "note: chromium/chromedriver not found and no apt-get; the browser test will be skipped"; \
	else \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true >/dev/null 2>&1; then SUDO="sudo -n"; else SUDO=no; fi; \
	  if [ "$$SUDO" = no ]; then \
	    echo "note: chromium/chromedriver not found and not root (no passwordless sudo); the browser test will be skipped"; \
	  elif $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 && \
	       $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; then \
	    echo "installed chromium and chromium-driver for the browser test"; \
	  else \
	    echo "note: could not install chromium chromium-driver with apt-get; the browser test will be skipped"; \
	  fi; \
	fi

bench: $(VENV)/.installed
	$(PY) bench/train_speed.py

bench-iw: $(VENV)/.installed
	$(PY) bench/iw_speed.py

clean:
	rm -rf $(VENV) runs
