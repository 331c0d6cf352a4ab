# ts2native: the wasm -> x86-64 back end (tools/ts2native) and its tests (tests/ts2native).
#   make test-ts2native    compile-and-run tests against V8, CLI error tests
#   make bench-ts2native   bench: ts2native.compile_ms (build/vmm.wasm when present)
#   make perf-ts2native    the code-speed loop: instructions retired (callgrind Ir) per kernel of
#                          tests/ts2native/perf, each checked against V8 first (~1 min)

DEB_PACKAGES += nasm lld wabt
TEST_TARGETS += test-ts2native
BENCH_TARGETS += bench-ts2native

.PHONY: test-ts2native bench-ts2native typecheck-ts2native perf-ts2native

# Strict type check of this part only (the root tsconfig's options, restricted to our files).
TS2NATIVE_TS := $(wildcard tools/ts2native/src/*.ts tests/ts2native/*.ts tests/ts2native/perf/*.ts)
typecheck-ts2native: deps
	$(NODE_BIN)/tsc --noEmit --strict --target ES2022 --module NodeNext --moduleResolution NodeNext \
	  --noImplicitOverride --noUncheckedIndexedAccess --noFallthroughCasesInSwitch --skipLibCheck \
	  --types node --allowImportingTsExtensions $(TS2NATIVE_TS)

test-ts2native: typecheck-ts2native
	$(NODE_BIN)/vitest run tests/ts2native

bench-ts2native: deps
	@$(NODE_BIN)/tsx tests/ts2native/bench.ts

perf-ts2native: deps
	@$(NODE_BIN)/tsx tests/ts2native/perf/perf.ts
