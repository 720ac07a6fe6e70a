# Two commands do all set-up on a fresh Debian/Ubuntu machine:
#   make run    creates .venv, installs SiamGUI and the libraries Qt needs, opens the window
#   make test   the same plus test and training extras, then runs the whole test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: run test bench setup setup-test system-deps system-deps-test package package-test clean

run: system-deps setup
	$(VENV)/bin/siamgui

test: system-deps-test setup-test
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Speed and memory figures on this machine (medians over repeats; figures, not pass/fail)
bench: system-deps setup
	$(VENV)/bin/siamgui bench

system-deps:
	@packaging/system-deps.sh

system-deps-test:
	@packaging/system-deps.sh --test

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Re-install only when pyproject.toml changes (stamp files hold its hash).
setup: $(PY)
	@stamp=$(VENV)/.app-$$(sha1sum pyproject.toml | cut -c1-12); \
	if [ ! -f $$stamp ]; then $(PY) -m pip install -q -e . && touch $$stamp; fi

setup-test: $(PY)
	@stamp=$(VENV)/.test-$$(sha1sum pyproject.toml | cut -c1-12); \
	if [ ! -f $$stamp ]; then $(PY) -m pip install -q -e ".[test,train]" && touch $$stamp; fi

clean:
	rm -rf $(VENV) build dist *.egg-info

# Linux artefacts (CPU variant): dist/siamgui-*.tar.gz and dist/siamgui_*.deb
package:
	packaging/build_linux.sh cpu

# Build, unpack the .deb into a throwaway root, run the installed bundle's self-test offscreen.
package-test: package
	packaging/linux/test_deb.sh
