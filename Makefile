# The README's two commands: `make run` and `make test`. Each bootstraps .venv
# (and the Debian tools the tests drive) when missing, then acts.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_TOOLS := wrk curl h2load
BIND ?= 127.0.0.1:8080

.PHONY: run test venv system-deps lint typecheck bench clean

# The C accelerators (hatch_build.py) are compiled by the install, so their
# sources are prerequisites too; WEFT_NATIVE=require makes a failed compile an
# error here (a plain `pip install` falls back to the pure-Python twins).
NATIVE_SOURCES := hatch_build.py runtime/weft/_native_slots.h \
	$(wildcard runtime/weft/*/_native.c runtime/weft/*/*/_native.c) \
	$(wildcard weftc/syntax/cfront/*.c weftc/syntax/cfront/*.h)

# The install also prebuilds the parser's tables (hatch_build.py): the grammar too.
$(STAMP): pyproject.toml $(NATIVE_SOURCES) grammar/verum.lark
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	WEFT_NATIVE=require $(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

venv: $(STAMP)

# Debian packages the tests and benchmarks use; installed only when missing.
system-deps:
	@missing=""; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl nghttp2-client openssl >/dev/null; \
	  else echo "note: missing$$missing (install wrk curl nghttp2-client); tests needing them will say so"; fi; \
	fi

run: $(STAMP)
	$(BIN)/python -m weftc.devrun --bind $(BIND)

test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Part of `make test`: ruff everywhere, mypy --strict on both packages.
lint: $(STAMP)
	$(BIN)/ruff check weftc runtime tests bench examples
	$(BIN)/mypy weftc runtime/weft

bench: $(STAMP) system-deps
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist .weft-cache weftc/_tables
	find runtime -name '_native*.so' -delete
