# Top-level interface. Each concern lives in a fragment under mk/ that adds to these lists:
#   DEB_PACKAGES  Debian packages `make deps` installs when missing
#   TEST_TARGETS  targets `make test` runs, in order
#   BENCH_TARGETS targets `make bench` runs (each prints `bench: NAME VALUE UNIT` lines)
# Every user-facing target depends on `deps`, so a fresh machine needs only `make run` / `make test`.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

BUILD := build
NODE_BIN := node_modules/.bin
EMU ?= bochs

DEB_PACKAGES :=
TEST_TARGETS :=
BENCH_TARGETS :=

include mk/deps.mk
include $(sort $(filter-out mk/deps.mk,$(wildcard mk/*.mk)))

.PHONY: help test bench clean
help:
	@echo "make run       build and boot the hypervisor in Bochs (EMU=qemu: QEMU TCG)"
	@echo "make test      every test layer (unit, back end, image, boot media)"
	@echo "make bench     benchmark figures, one 'bench: NAME VALUE UNIT' line each"
	@echo "make image     build/hypervisor.elf"
	@echo "make deps      install Debian packages and npm modules (idempotent)"

test: deps
	@set -e; for t in $(TEST_TARGETS); do echo "== make $$t"; $(MAKE) --no-print-directory $$t; done
	@echo "== all test layers passed: $(TEST_TARGETS)"

bench: deps
	@set -e; for t in $(BENCH_TARGETS); do $(MAKE) --no-print-directory $$t; done

clean:
	rm -rf $(BUILD)
