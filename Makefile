# Two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip

.PHONY: demo test install install-dev bench bench-iw clean

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

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(PY) -m vaelab.demo

test: $(VENV)/.installed-dev browser
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
