// bench: ts2native compile time of the VMM core (build/vmm.wasm, from `make core-wasm`), or, when
// that is absent, of this suite's largest test module, named as such. The compiler is loaded as
// `ts2native` runs it (tools/ts2native/bin/load.mjs: the cached esbuild bundle). Lines:
//   compile_ms           median wall time of 5 compilations in this process (warm JIT)
//   compile_cold_ms      wall time of the first (nothing compiled by V8 yet: interpreter, then
//                        baseline and optimized code while it runs)
//   compile_cpu_ms, compile_cold_cpu_ms   the same as CPU time of the main thread
//                        (/proc/self/task/PID/schedstat): on a shared machine wall time also
//                        counts waiting for a CPU; the compiler runs on the main thread (V8's JIT
//                        and GC helper threads are not counted)
//   input_bytes          size of the module

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadCli } from "../../tools/ts2native/bin/load.mjs";
import { ROOT, buildAS } from "./harness.ts";

const vmm = join(ROOT, "build/vmm.wasm");
let name = "ts2native.compile_ms";
let wasm = vmm;
if (!existsSync(vmm)) {
  wasm = buildAS(join(ROOT, "tests/ts2native/as/kernel.as"));
  name = "ts2native.compile_ms.test_kernel";
}
const { compileModule } = await loadCli();
const bytes = readFileSync(wasm);
const mainThreadCpuMs = (): number => {
  const f = `/proc/self/task/${process.pid}/schedstat`;
  return existsSync(f) ? Number(readFileSync(f, "latin1").split(" ")[0]) / 1e6 : NaN;
};
const wall: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < 5; i++) {
  const c0 = mainThreadCpuMs();
  const t0 = process.hrtime.bigint();
  compileModule(bytes, "bare");
  wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
  cpu.push(mainThreadCpuMs() - c0);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[2]!;
const line = (suffix: string, v: number, unit: string): void => console.log(`bench: ${name.replace("compile_ms", suffix)} ${v.toFixed(1)} ${unit}`);
line("compile_ms", median(wall), "ms");
line("compile_cold_ms", wall[0]!, "ms");
if (!Number.isNaN(cpu[0]!)) {
  line("compile_cpu_ms", median(cpu), "ms");
  line("compile_cold_cpu_ms", cpu[0]!, "ms");
}
console.log(`bench: ${name.replace("compile_ms", "input_bytes")} ${bytes.length} bytes`);
