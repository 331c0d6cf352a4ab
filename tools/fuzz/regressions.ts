// Saved mismatches: tests/fuzz/regressions/seed-<S>.wasm (the exact module that mismatched, kept
// as bytes because a newer generator may turn the seed into another module) and seed-<S>.txt (the
// first difference, for whoever fixes it). `make test-fuzz` replays every saved module.

import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Case {
  readonly label: string;
  readonly file: string;
  readonly seed: number | undefined;
  readonly isRegression: boolean;
}

/** Saves the module of a mismatching seed; returns the saved .wasm path. */
export function saveRegression(dir: string, seed: number, wasmFile: string, report: string): string {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `seed-${seed}`);
  copyFileSync(wasmFile, `${base}.wasm`);
  writeFileSync(
    `${base}.txt`,
    `Differential fuzzing mismatch, seed ${seed} (tools/fuzz/main.ts --seed ${seed} --count 1).\n` +
      `Replayed by \`make test-fuzz\`; delete both files once the cause is fixed and understood.\n\n${report}\n`,
  );
  return `${base}.wasm`;
}

/** Every saved regression module, in name order. */
export function regressionCases(dir: string): Case[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".wasm"))
    .sort()
    .map((f) => {
      const m = /^seed-(\d+)\.wasm$/.exec(f);
      return { label: `regression ${f}`, file: join(dir, f), seed: m ? Number(m[1]) : undefined, isRegression: true };
    });
}
