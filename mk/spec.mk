# Back-end conformance: the WebAssembly spec suite and differential fuzzing of ts2native
# (tools/wasm-spec/README.md, tools/fuzz/README.md).
#   make spec [ENGINE=native|v8] [SPEC_SUITE=DIR] [SPEC_FILTER=TEXT]
#                          wast2json every .wast of $(SPEC_SUITE)/{mvp,bulk-memory} into build/spec/json,
#                          run every command; last line `spec: N passed, N failed, N skipped`.
#                          ENGINE=v8 runs the same harness on Node's V8 (a check of the harness).
#   make fuzz [N=100] [SEED=S] [FUZZ_ENGINES=binaryen,v8,native]
#                          N modules from `wasm-opt -ttf` (random seeds unless SEED is given),
#                          diffed across engines; mismatches saved to tests/fuzz/regressions/.
#   make test-spec         unit tests of the harness, the V8 run, then the native run (all must pass)
#   make test-fuzz         100 fixed seeds plus every saved regression, no mismatch allowed

DEB_PACKAGES += wabt nasm lld binutils
TEST_TARGETS += test-spec test-fuzz

SPEC_SUITE ?= ../shared/wasm-testsuite
ENGINE ?= native
SPEC_FILTER ?=
N ?= 100
SEED ?=
FUZZ_ENGINES ?= binaryen,v8,native
TEST_FUZZ_COUNT ?= 100

SPEC_RUN = $(NODE_BIN)/tsx tools/wasm-spec/main.ts --suite $(SPEC_SUITE) --out $(BUILD)/spec \
           $(if $(SPEC_FILTER),--filter $(SPEC_FILTER))
FUZZ_RUN = $(NODE_BIN)/tsx tools/fuzz/main.ts --out $(BUILD)/fuzz --engines $(FUZZ_ENGINES)

.PHONY: spec fuzz test-spec test-fuzz test-spec-unit

# The report is the product of `make spec`: failures (exit 1) leave `spec: …` as the last line and
# the target succeeds; a harness or input error (exit 2) fails it. test-spec fails on failures.
spec: deps
	@$(SPEC_RUN) --engine $(ENGINE) || [ $$? -eq 1 ]

test-spec-unit: deps
	$(NODE_BIN)/vitest run tests/wasm-spec tests/fuzz

test-spec: test-spec-unit
	$(SPEC_RUN) --engine v8
	$(SPEC_RUN) --engine native

fuzz: deps
	$(FUZZ_RUN) --count $(N) $(if $(SEED),--seed $(SEED)) --save

test-fuzz: deps
	$(FUZZ_RUN) --count $(TEST_FUZZ_COUNT) --seed 1 --replay
