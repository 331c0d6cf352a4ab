// Loads the ts2native CLI module (../src/cli.ts) as one ESM bundle made by esbuild (tsx's own
// dependency), cached in node_modules/.cache/ts2native/ under a hash of the sources. Compared
// with tsx's per-file transformation this starts with one import, and the code runs without
// tsx's helpers (esbuild's keepNames wrapper around every closure it creates, getters for every
// cross-module binding), which made cold compilation ~20% slower. Falls back to tsx when esbuild
// cannot be loaded or fails. Used by bin/ts2native.js and tests/ts2native/bench.ts.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import v8 from "node:v8";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "src");
const ENTRY = join(SRC, "cli.ts");

function bundlePath() {
  const require = createRequire(import.meta.url);
  const tsx = require.resolve("tsx/package.json");
  const cache = join(dirname(tsx), "..", ".cache", "ts2native");
  const h = createHash("sha256");
  for (const f of readdirSync(SRC).filter((x) => x.endsWith(".ts")).sort()) h.update(f).update(readFileSync(join(SRC, f)));
  return { cache, file: join(cache, `cli-${h.digest("hex").slice(0, 16)}.mjs`), esbuild: () => createRequire(tsx)("esbuild") };
}

function build(cache, file, esbuild) {
  const r = esbuild.buildSync({
    entryPoints: [ENTRY], bundle: true, format: "esm", platform: "node", target: "node20", write: false, logLevel: "silent",
    // exe.ts finds runtime/ next to src/
    define: { "import.meta.url": JSON.stringify(pathToFileURL(ENTRY).href) },
  });
  mkdirSync(cache, { recursive: true });
  // older bundles are stale; a concurrent launcher that still needs one rebuilds it
  for (const f of readdirSync(cache)) if (f.startsWith("cli-") && join(cache, f) !== file) rmSync(join(cache, f), { force: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, r.outputFiles[0].text);
  renameSync(tmp, file); // atomic: parallel builds write the same content
}

/** The CLI module (exports main, COMMANDS, compileModule). */
export async function loadCli() {
  // A compilation is one short burst: with V8's default tier-up budget, optimizing the compiler's
  // own functions on background threads took more CPU (~1.6 s) than compiling the core (~0.7 s)
  // and competed with it for the cores. A budget 4x the default tiers up only what stays hot:
  // a cold `ts2native compile` of the core ran in ~0.85 s instead of ~1.2-1.4 s.
  v8.setFlagsFromString("--interrupt-budget=262144");
  try {
    const { cache, file, esbuild } = bundlePath();
    if (!existsSync(file)) build(cache, file, esbuild());
    return await import(pathToFileURL(file).href);
  } catch {
    // no esbuild, a bundling error, or the bundle removed meanwhile: run the sources through tsx
  }
  const { register } = await import("tsx/esm/api");
  register();
  return import("../src/cli.ts");
}
