# Strict type check of all host-side TypeScript (tools/, tests/; AssemblyScript sources and the
# AssemblyScript test entries are compiled by asc instead, see tsconfig.json "exclude").

TEST_TARGETS := test-typecheck $(TEST_TARGETS)

.PHONY: test-typecheck
test-typecheck: deps
	$(NODE_BIN)/tsc -p tsconfig.json
