// bench: ts2native compile time of the VMM core (build/vmm.wasm, from `make core-wasm`), or, when
// that is absent, of this suite's largest test module, named as such. Median of 5 in-process runs
// (warm JIT), and the first run alone (cold).

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compileModule } from "../../tools/ts2native/src/compile.ts";
import { ROOT, buildAS } from "./harness.ts";

const vmm = join(ROOT, "build/vmm.wasm");
let name = "ts2native.compile_ms";
let wasm = vmm;
if (!existsSync(vmm)) {
  wasm = buildAS(join(ROOT, "tests/ts2native/as/kernel.as"));
  name = "ts2native.compile_ms.test_kernel";
}
const bytes = readFileSync(wasm);
const times: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = process.hrtime.bigint();
  compileModule(bytes, "bare");
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const cold = times[0]!;
times.sort((a, b) => a - b);
console.log(`bench: ${name} ${times[2]!.toFixed(1)} ms`);
console.log(`bench: ${name.replace("compile_ms", "compile_cold_ms")} ${cold.toFixed(1)} ms`);
console.log(`bench: ${name.replace("compile_ms", "input_bytes")} ${bytes.length} bytes`);
