# ringpax: `make demo` runs the demo, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CARGO ?= cargo
LIBDIR := target/release
CWARN := -Wall -Wextra -Wpedantic -Werror
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -g
CLIBS := $(LIBDIR)/libringpax.a -pthread -ldl -lm
# Python packages for tests and benches (the package itself depends only on redis).
DEV_PY := "maturin>=1.16,<2" "pytest>=8" "hypothesis>=6" "mypy>=1.10" "redis>=5" blake3 "uhashring==2.5" "composable-paxos==1.0.0" typing_extensions

.PHONY: help demo test venv install lint test-rust test-c test-python header vectors bench \
        bench-rust bench-python system-deps clean

help:
	@echo "make demo   - build, install into $(VENV) and run python -m ringpax demo"
	@echo "make test   - lint, Rust tests, header check, C tests (ASan), Python tests"
	@echo "make bench  - criterion benches and the side-by-side Python benches"

$(VENV)/.ready: Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(DEV_PY)
	touch $@

venv: $(VENV)/.ready

# Build the wheel with maturin (incremental in target/) and install it into the venv.
install: $(VENV)/.ready
	rm -rf target/wheels
	$(VENV)/bin/maturin build --release -q -i $(PY) --out target/wheels
	$(PY) -m pip install -q --force-reinstall target/wheels/ringpax-*.whl

demo: install
	cd /tmp && $(abspath $(PY)) -m ringpax demo

system-deps:
	bash .ci/system-deps.sh

test: system-deps lint test-rust test-c test-python
	@echo "make test: all suites passed"

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -q -- -D warnings

# Unit, property and simulation tests of every crate, and the header staleness check.
test-rust:
	$(CARGO) test --workspace -q

$(LIBDIR)/libringpax.a $(LIBDIR)/libringpax.so: FORCE
	$(CARGO) build --release -q -p ringpax-ffi
FORCE:

test-c: $(LIBDIR)/libringpax.a
	mkdir -p build
	@for t in tests/c/test_*.c; do \
	  n=$$(basename $$t .c); \
	  gcc -std=c11 $(CWARN) $(SAN) -Iinclude $$t $(CLIBS) -o build/$$n; \
	  ASAN_OPTIONS=detect_leaks=1 ./build/$$n tests/vectors/ring.tsv; \
	done
	g++ -std=c++17 $(CWARN) -Iinclude tests/c/header_cpp.cpp $(CLIBS) -o build/header_cpp
	./build/header_cpp
	@# Every C example in the README is a whole program: compile each against the shared
	@# library and run it.
	@rm -f build/readme_*.c
	@for src in $$($(PYTHON) tests/readme_blocks.py c README.md build/readme); do \
	  gcc -std=c11 $(CWARN) $(SAN) -Iinclude $$src -L$(LIBDIR) -lringpax \
	    -Wl,-rpath,$(abspath $(LIBDIR)) -o $${src%.c}; \
	  echo "== $$src"; ./$${src%.c}; \
	done

test-python: install
	$(PY) -m pytest -q -p no:cacheprovider tests/python
	$(PY) -m mypy --strict --no-incremental tests/typing
	cd /tmp && $(abspath $(PY)) -m mypy.stubtest ringpax._native --concise

# Regenerate include/ringpax.h from ffi/src (commit the result).
header:
	RINGPAX_BLESS=1 $(CARGO) test -q -p ringpax-ffi --test header

# Regenerate the shared placement vectors with the independent reference implementation.
vectors: $(VENV)/.ready
	$(PY) tests/vectors/gen_ring.py

bench: bench-rust bench-python
bench-rust:
	$(CARGO) bench -p ringpax-core
bench-python: install
	@for b in benches/python_*.py; do echo "== $$b"; $(PY) $$b; done

clean:
	rm -rf build target/wheels
