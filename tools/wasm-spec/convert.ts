// Converts .wast scripts to wast2json's JSON + .wasm files (Debian package wabt), one folder per
// script, reused while newer than its source.
//
// Feature flags: the suite's mvp/ folder is the MVP plus mutable globals, sign extension,
// non-trapping float-to-int and multi-value (../shared/wasm-testsuite/README.md), so bulk memory
// and reference types (on by default in wabt ≥ 1.0.30) are turned off: with them on, some of its
// assert_invalid modules (e.g. several tables) would be valid. bulk-memory/ is a Wasm 2.0 root,
// which needs both on: wabt's defaults.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";

export const SUITE_FOLDERS: ReadonlyMap<string, readonly string[]> = new Map([
  ["mvp", ["--disable-bulk-memory", "--disable-reference-types"]],
  ["bulk-memory", []],
]);

export interface Converted {
  /** `mvp/i32.wast` */
  readonly name: string;
  readonly json: string;
  readonly dir: string;
}

/** Lists the suite's scripts, folder by folder, in name order. */
export function listScripts(suiteDir: string): { folder: string; wast: string }[] {
  const out: { folder: string; wast: string }[] = [];
  for (const folder of SUITE_FOLDERS.keys()) {
    const dir = join(suiteDir, folder);
    if (!existsSync(dir)) throw new Error(`spec suite folder ${dir} does not exist (set SPEC_SUITE=...)`);
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".wast")).sort()) out.push({ folder, wast: join(dir, f) });
  }
  return out;
}

/** Converts one script into `<outRoot>/<folder>/<name>/`; throws with wast2json's message on failure. */
export function convertScript(folder: string, wast: string, outRoot: string): Converted {
  const name = basename(wast, ".wast");
  const dir = join(outRoot, folder, name);
  const json = join(dir, `${name}.json`);
  const result: Converted = { name: `${folder}/${name}.wast`, json, dir };
  if (existsSync(json) && statSync(json).mtimeMs >= statSync(wast).mtimeMs) return result;

  const flags = SUITE_FOLDERS.get(folder);
  if (!flags) throw new Error(`unknown suite folder '${folder}'`);
  const tmp = `${dir}.tmp${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const r = spawnSync("wast2json", [...flags, wast, "-o", join(tmp, `${name}.json`)], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    const why = r.error ? r.error.message : `exit status ${r.status}: ${r.stderr.trim().split("\n").slice(0, 5).join(" | ")}`;
    throw new Error(`wast2json ${flags.join(" ")} ${wast}: ${why}`);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return result;
}
