# ts2native code speed on wasm kernels against V8 and wasm2c + gcc -O2 (DESIGN.md §5).
#   make bench-ts2native-kernels   bench: ts2native.NAME.vs_wasm2c_gcc / .vs_v8 ratios, geomeans,
#                                  valgrind instruction counts (in BENCH_TARGETS)
#   make bench-kernels-build       only build the kernels for all three engines
#   make test-bench                unit tests of the statistics and the kernels' checksums
# BENCH_ROUNDS=N (default 21), BENCH_KERNELS_ONLY="crc32 sha256" to run a subset.
# See tools/bench/README.md.

DEB_PACKAGES += wabt gcc libc6-dev valgrind
BENCH_TARGETS += bench-ts2native-kernels
TEST_TARGETS += test-bench

.PHONY: bench-ts2native-kernels bench-kernels-build test-bench

BENCH_OUT := $(BUILD)/bench
BENCH_KERNELS := crc32 pagewalk sha256 sieve quicksort matmul matmul_f64 ept
BENCH_KERNELS_ONLY ?=
# The back end's sources: a change rebuilds the ts2native executables.
BENCH_T2N_SRC := $(wildcard tools/ts2native/bin/*.js tools/ts2native/bin/*.mjs tools/ts2native/src/*.ts tools/ts2native/runtime/*.asm)
BENCH_WASM2C_RT := /usr/share/wabt/wasm2c
BENCH_ASC_FLAGS := -O3 --runtime stub --use abort= --initialMemory 48

bench-kernels-build: $(foreach k,$(BENCH_KERNELS),$(BENCH_OUT)/$(k).wasm $(BENCH_OUT)/$(k).t2n $(BENCH_OUT)/$(k).w2c)

# The build runs as its own make with -j2 (asc takes seconds per kernel); the measurement after it
# runs alone.
bench-ts2native-kernels: deps
	@$(MAKE) --no-print-directory -j2 bench-kernels-build
	@BENCH_OUT=$(BENCH_OUT) $(NODE_BIN)/tsx tools/bench/kernels.ts $(BENCH_KERNELS_ONLY)

test-bench: $(BENCH_OUT)/sha256.wasm $(BENCH_OUT)/crc32.wasm | deps
	$(NODE_BIN)/vitest run tests/bench

# AssemblyScript sources are .as files (the root tsconfig type-checks every .ts under tools/ as
# TypeScript); asc needs a .ts name, so they are copied to build/bench/src/. ept.as imports the
# core's src/ept/ relative to that directory.
$(BENCH_OUT)/src/%.ts: tools/bench/kernels/%.as | deps
	@mkdir -p $(dir $@)
	cp $< $@

$(BENCH_OUT)/%.wasm: $(BENCH_OUT)/src/%.ts $(BENCH_OUT)/src/common.ts mk/bench.mk | deps
	$(NODE_BIN)/asc $< $(BENCH_ASC_FLAGS) -o $@

$(BENCH_OUT)/ept.wasm: $(wildcard src/ept/*.ts)

$(BENCH_OUT)/%.t2n: $(BENCH_OUT)/%.wasm $(BENCH_T2N_SRC) | deps
	node tools/ts2native/bin/ts2native.js exe $< -o $@

# wasm2c names every symbol after the module (-n bench), so one driver serves every kernel.
$(BENCH_OUT)/w2c/%/bench.c: $(BENCH_OUT)/%.wasm | deps
	@mkdir -p $(dir $@)
	wasm2c $< -n bench -o $@

$(BENCH_OUT)/%.w2c: $(BENCH_OUT)/w2c/%/bench.c tools/bench/wasm2c-driver.c | deps
	gcc -O2 -I$(dir $<) -I$(BENCH_WASM2C_RT) -o $@ tools/bench/wasm2c-driver.c $< $(BENCH_WASM2C_RT)/wasm-rt-impl.c -lm

.PRECIOUS: $(BENCH_OUT)/src/%.ts $(BENCH_OUT)/w2c/%/bench.c
