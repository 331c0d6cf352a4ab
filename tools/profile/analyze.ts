// analyze.ts WORKDIR KIND... -- the per-function profile of VM-exit round trips from a Bochs
// instruction trace (tools/profile/exit-profile.sh writes WORKDIR: trace.txt, syms.txt from nm -n,
// funcs.txt mapping __ts2n_fN to wasm function names).
//
// A round trip starts at the instruction at hw_vmrun.exit (the VM-exit landing point, HOST_RIP)
// and ends before the next one; the instructions in between are the host's exit handling, the
// VM entry and the guest's instructions up to its next exit (its loop, "guest"). The trace holds
// one window per KIND, in order, each starting at that KIND's handler; a window's round trips
// count when they run the KIND's handler (a preemption-timer exit or another VM's exit in the
// window is left out). CPUID round trips are recognized by the guest instruction that exited
// instead: a hit in the vCPU's CPUID cache is answered inside vmm_exit without calling any
// CPUID-specific function. Per function: instructions per round trip and calls per round trip.
import { readFileSync } from "node:fs";

const [dir, ...kinds] = process.argv.slice(2);
if (!dir || kinds.length === 0) {
  console.error("usage: analyze.ts WORKDIR KIND... (KIND: cpuid | io | mmio | iodev)");
  process.exit(2);
}
/** What marks a round trip of each kind: a function it runs, or (`guest:OP`) the guest instruction that exited. */
const HANDLER: Record<string, string> = {
  cpuid: "guest:cpuid",
  io: "src/vmm/exit-lite/vmmExitIo",
  mmio: "src/vmm/exits/ept/onEptViolation",
  iodev: "guest:in",
};

const wasmName = new Map<string, string>();
for (const line of readFileSync(`${dir}/funcs.txt`, "utf8").split("\n")) {
  const [sym, name] = line.split(" ");
  if (sym && name) wasmName.set(sym, name);
}
// Function starts: text symbols without a dot (dotted ones are local labels inside a function).
const starts: { addr: number; name: string }[] = [];
let exitLabel = -1;
for (const line of readFileSync(`${dir}/syms.txt`, "utf8").split("\n")) {
  const [a, t, sym] = line.trim().split(/\s+/);
  if (!a || !sym || (t !== "T" && t !== "t")) continue;
  const addr = parseInt(a, 16);
  if (sym === "hw_vmrun.exit") exitLabel = addr;
  if (sym.includes(".")) continue;
  starts.push({ addr, name: wasmName.get(sym) ?? sym });
}
starts.sort((x, y) => x.addr - y.addr);
if (exitLabel < 0) throw new Error("no hw_vmrun.exit symbol");
const firstStart = starts[0], lastStart = starts[starts.length - 1];
if (!firstStart || !lastStart) throw new Error("no function symbols in syms.txt");
const imageStart = firstStart.addr, imageEnd = lastStart.addr + 0x10000;

function funcOf(addr: number): { name: string; entry: boolean } {
  if (addr < imageStart || addr >= imageEnd) return { name: "guest", entry: false };
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]!.addr <= addr) lo = mid; else hi = mid - 1;
  }
  const f = starts[lo]!;
  return { name: f.name, entry: f.addr === addr };
}

// Windows: a run of traced lines; "trace off" lines are not instructions, so a window ends where
// the tick count jumps (the debugger ran untraced in between).
type Insn = { tick: number; addr: number; op: string };
const windows: Insn[][] = [];
let cur: Insn[] = [];
const re = /^\(0\)\.\[(\d+)\] \[0x([0-9a-f]+)\][^:]*:[^)]*\): (\S+)/;
for (const line of readFileSync(`${dir}/trace.txt`, "latin1").split("\n")) {
  const m = re.exec(line.replace(/\x1b\[[0-9;]*[a-zA-Z]/g, ""));
  if (!m) continue;
  const insn = { tick: Number(m[1]), addr: parseInt(m[2]!, 16), op: m[3]! };
  const prev = cur[cur.length - 1];
  if (prev && insn.tick !== prev.tick + 1) { windows.push(cur); cur = []; }
  cur.push(insn);
}
if (cur.length > 0) windows.push(cur);
// A lone instruction (a debugger stop that is no breakpoint, e.g. a guest's triple fault) is no window.
const real = windows.filter((w) => w.length > 100);
if (real.length !== kinds.length) {
  console.error(`analyze: ${real.length} trace windows for ${kinds.length} kinds`);
  process.exit(1);
}

real.forEach((win, k) => {
  const kind = kinds[k]!;
  const handler = HANDLER[kind];
  if (!handler) throw new Error(`unknown kind ${kind} (cpuid | io | mmio | iodev)`);
  const per = new Map<string, { insns: number; calls: number }>();
  let trips = 0, total = 0, others = 0;
  let seg: Insn[] | null = null;
  const close = (s: Insn[]): void => {
    const names = s.map((i) => funcOf(i.addr));
    const last = s[s.length - 1];
    const ours = handler.startsWith("guest:")
      ? last !== undefined && funcOf(last.addr).name === "guest" && last.op === handler.slice(6)
      : names.some((n) => n.name === handler);
    if (!ours) { others++; return; }
    trips++;
    total += s.length;
    for (const n of names) {
      const e = per.get(n.name) ?? { insns: 0, calls: 0 };
      e.insns++;
      if (n.entry) e.calls++;
      per.set(n.name, e);
    }
  };
  for (const insn of win) {
    if (insn.addr === exitLabel) { if (seg) close(seg); seg = []; }
    if (seg) seg.push(insn);
  }
  console.log(`profile: ${kind}: ${trips} round trips (${others} other exits left out), ${(total / Math.max(trips, 1)).toFixed(1)} instructions each`);
  const rows = [...per.entries()].sort((a, b) => b[1].insns - a[1].insns);
  for (const [name, e] of rows) {
    const insns = (e.insns / trips).toFixed(1).padStart(7);
    const calls = (e.calls / trips).toFixed(1).padStart(5);
    console.log(`  ${insns} insns ${calls} calls  ${name}`);
  }
});
