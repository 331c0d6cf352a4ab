// Caches the two slow, deterministic steps of a fuzz run, each a wasm-opt process (seconds on a
// loaded machine): the module generated from a seed, and binaryen's reference output for a
// module. Keys include everything the result depends on — the generator's source and binaryen's
// version for modules, the module's bytes and binaryen's version for outputs — so a stale entry
// can never be hit. Entries are written to a temporary name and renamed.

import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../wasm-spec/native-compiler.ts";
import { binaryenFuzzExec, generateModule } from "./generate.ts";

function binaryenVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "binaryen", "package.json"), "utf8")) as { version?: unknown };
  return String(pkg.version);
}

export class FuzzCache {
  private readonly genDir: string;
  private readonly refDir: string;
  private readonly version = binaryenVersion();

  constructor(root: string) {
    const generator = readFileSync(join(REPO_ROOT, "tools", "fuzz", "generate.ts"));
    const genKey = createHash("sha256").update(this.version).update(generator).digest("hex").slice(0, 16);
    this.genDir = join(root, "gen", genKey);
    this.refDir = join(root, "ref", this.version);
    mkdirSync(this.genDir, { recursive: true });
    mkdirSync(this.refDir, { recursive: true });
  }

  /** The module for `seed`, generated once; copied to `outFile` for the report. */
  async module(seed: number, outFile: string): Promise<void> {
    const cached = join(this.genDir, `seed-${seed}.wasm`);
    if (!existsSync(cached)) {
      const tmp = `${cached}.tmp${process.pid}`;
      await generateModule(seed, tmp);
      renameSync(tmp, cached);
    }
    copyFileSync(cached, outFile);
  }

  /** binaryen's `--fuzz-exec-before` stdout for the module in `file`. */
  reference(file: string): string {
    const key = createHash("sha256").update(readFileSync(file)).digest("hex").slice(0, 40);
    const cached = join(this.refDir, `${key}.txt`);
    if (existsSync(cached)) return readFileSync(cached, "utf8");
    const out = binaryenFuzzExec(file);
    const tmp = `${cached}.tmp${process.pid}`;
    writeFileSync(tmp, out);
    renameSync(tmp, cached);
    return out;
  }
}
