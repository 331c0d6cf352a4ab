// Bochs capability-MSR dumps (tests/vtx/fixtures/bochs-vmx-msrs.txt) as `VmxCaps` blocks.
import { readFileSync } from "node:fs";
import type { Vtx } from "./wasm.ts";

export type MsrDump = Map<string, bigint>;

/** Model name → MSR name → value. An MSR the dump shows empty (it faulted) is left out. */
export function loadDumps(): Map<string, MsrDump> {
  const text = readFileSync(new URL("./fixtures/bochs-vmx-msrs.txt", import.meta.url), "utf8");
  const models = new Map<string, MsrDump>();
  let current: MsrDump | undefined;
  for (const line of text.split("\n")) {
    const model = /^== (.+)$/.exec(line);
    if (model) { current = new Map(); models.set(model[1]!.trim(), current); continue; }
    const msr = /^(IA32_VMX_\w+)\s*=([0-9A-F]{16})$/.exec(line.trim());
    if (msr && current) current.set(msr[1]!, BigInt("0x" + msr[2]!));
  }
  return models;
}

/** MSR number of each name, SDM Vol 4 Table 2-2. */
export const MSR_NUMBER: Record<string, number> = {
  IA32_VMX_BASIC: 0x480, IA32_VMX_PINBASED_CTLS: 0x481, IA32_VMX_PROCBASED_CTLS: 0x482,
  IA32_VMX_EXIT_CTLS: 0x483, IA32_VMX_ENTRY_CTLS: 0x484, IA32_VMX_MISC: 0x485,
  IA32_VMX_CR0_FIXED0: 0x486, IA32_VMX_CR0_FIXED1: 0x487, IA32_VMX_CR4_FIXED0: 0x488,
  IA32_VMX_CR4_FIXED1: 0x489, IA32_VMX_VMCS_ENUM: 0x48a, IA32_VMX_PROCBASED_CTLS2: 0x48b,
  IA32_VMX_EPT_VPID_CAP: 0x48c, IA32_VMX_TRUE_PINBASED: 0x48d, IA32_VMX_TRUE_PROCBASED: 0x48e,
  IA32_VMX_TRUE_EXIT: 0x48f, IA32_VMX_TRUE_ENTRY: 0x490,
};

/** Writes a dump into a `VmxCaps` block at `addr` through the module's own slot function. */
export function writeCaps(v: Vtx, addr: number, dump: MsrDump): void {
  const size = v.u32("capsSize");
  for (let i = 0; i < size; i++) v.mem.setUint8(addr + i, 0);
  for (const [name, value] of dump) {
    const num = MSR_NUMBER[name];
    if (num === undefined) throw new Error(`unknown MSR ${name}`);
    const slot = v.u32("capsSlotAddr", addr, num);
    if (slot === 0) throw new Error(`no slot for ${name}`);
    v.mem.setBigUint64(slot, value, true);
  }
}
