import { defineConfig } from "vitest/config";

// Unit tests only (Node). Emulator and back-end suites are driven by their own make targets.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    exclude: ["node_modules/**", "build/**"],
    testTimeout: 60_000,
  },
});
