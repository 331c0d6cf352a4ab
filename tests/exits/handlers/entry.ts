// @ts-nocheck: AssemblyScript, compiled by asc (mk/exits-unit.mk), not by tsc.
// The handlers test wasm: the real exit handlers of src/vmm/exits/ with the VMM's VM/vCPU
// structures, run in Node against a fake `hw` (tests/exits/fake-hw.ts: the VMCS as a map, CPUID
// and MSR tables, a console that captures COM1). Exports only what sets up that world.

import { registerExitHandlers } from "../../../src/vmm/exits/register";
import { registerCoreExits } from "../../../src/vmm/core-exits";
import { exitTable, callExitHandler } from "../../../src/vmm/dispatch";
import { VCpu } from "../../../src/vmx/vcpu";
import { Vm, vmCreate } from "../../../src/vmm/vm";
import { vmxCaps, vmxControls } from "../../../src/vmx/vmx-cpu";
import { eventsBeforeEntry, eventsAfterExit } from "../../../src/vmm/events/apply";
import { queueIrq, queueNmi } from "../../../src/vmm/events/pending";
import { extEvents, exitsVcpuReady, extMsrState } from "../../../src/vmm/exits/vcpu-ext";
import { platformMsrBitmap, platformIoBitmapA, platformTestDev } from "../../../src/vmm/devices/platform";
import { exitsVmReady } from "../../../src/vmm/exits/setup";

export function hxCaps(): usize { return changetype<usize>(vmxCaps(0)); }
export function hxControls(): usize { return changetype<usize>(vmxControls(0)); }

/** A VM named by the NUL-terminated string at `name`, RAM [0, ramEnd) through the EPT at `pml4`. */
export function hxVm(name: usize, pml4: u64, ramEnd: u64): usize {
  const vm = vmCreate(name);
  if (vm === null) return 0;
  vm.eptPml4 = pml4;
  vm.ramStart = 0;
  vm.ramEnd = ramEnd;
  return changetype<usize>(vm);
}
export function hxVmReady(vm: usize): bool { return exitsVmReady(changetype<Vm>(vm)); }
export function hxVmState(vm: usize): u32 { return changetype<Vm>(vm).state; }
export function hxVcpu(vcpu: usize, vm: usize, index: u32): void {
  memory.fill(vcpu, 0, 256);
  const c = changetype<VCpu>(vcpu);
  c.vm = vm;
  c.index = index;
  c.vpid = 1;
  const v = changetype<Vm>(vm);
  if (index == 0) v.vcpu0 = vcpu;
  v.vcpuCount = index + 1;
}
export function hxRegister(): void { registerExitHandlers(exitTable()); }
/** The lifecycle handlers too (CPUID among them: src/vmm/core-exits.ts). */
export function hxRegisterCore(): void { registerCoreExits(exitTable()); }
export function hxExit(reason: u32, vcpu: usize): u32 {
  const c = changetype<VCpu>(vcpu);
  c.exitReason = reason;
  eventsAfterExit(c);
  return callExitHandler(exitTable().slotOf(reason), c);
}
export function hxBeforeEntry(vcpu: usize): bool { return eventsBeforeEntry(changetype<VCpu>(vcpu)); }
export function hxIrq(vcpu: usize, vector: u32): void {
  exitsVcpuReady(changetype<VCpu>(vcpu));
  queueIrq(extEvents(changetype<VCpu>(vcpu)), vector);
}
export function hxNmi(vcpu: usize): void {
  exitsVcpuReady(changetype<VCpu>(vcpu));
  queueNmi(extEvents(changetype<VCpu>(vcpu)));
}
export function hxMsrState(vcpu: usize): usize { return extMsrState(changetype<VCpu>(vcpu)); }
export function hxMsrBitmap(): usize { return platformMsrBitmap(); }
export function hxIoBitmapA(vm: usize): usize { return platformIoBitmapA(changetype<Vm>(vm)); }
export function hxTestDev(vm: usize): usize { return changetype<usize>(platformTestDev(changetype<Vm>(vm))); }

// ---------------------------------------------------------------- the PC platform's interrupts
// (src/vmm/pc/pc-run.ts pcBeforeEntry with the real controllers, against the fake VMCS)
import { pcCreate, pcBlock, pcLines, pcSync, PC_BLOCK_BYTES } from "../../../src/vmm/pc/pc";
import { pcBeforeEntry } from "../../../src/vmm/pc/pc-run";
import { pcPortRead, pcPortWrite, pcLapicMmioRead, pcLapicMmioWrite } from "../../../src/vmm/pc/pc-io";
import { irqSet } from "../../../src/vmm/platform/irq-lines";
import { queueException } from "../../../src/vmm/events/pending";
import { vmOf } from "../../../src/vmm/vm";

/** `vm` gets a PC platform in the zeroed PC_BLOCK_BYTES at `block`, created at TSC `now`. */
export function hxPc(vm: usize, block: usize, tscHz: u64, now: u64): bool {
  memory.fill(block, 0, <usize>PC_BLOCK_BYTES);
  pcCreate(changetype<Vm>(vm), block, tscHz, now, 64 << 20, 2025, 1, 2, 3, 4, 5);
  return pcBlock(changetype<Vm>(vm)) == block;
}
/** What the run loop does for a PC vCPU before an entry (the slice never ends here). */
export function hxPcBeforeEntry(vcpu: usize): bool {
  const c = changetype<VCpu>(vcpu);
  exitsVcpuReady(c);
  const vm = vmOf(c);
  return pcBeforeEntry(c, vm, pcBlock(vm), extEvents(c), u64.MAX_VALUE, 0);
}
export function hxPcIn(vm: usize, port: u32, size: u32): u32 { return pcPortRead(changetype<Vm>(vm), port, size); }
export function hxPcOut(vm: usize, port: u32, size: u32, v: u32): void { pcPortWrite(changetype<Vm>(vm), port, size, v); }
export function hxPcLapicRead(vm: usize, off: u32): u32 { return <u32>pcLapicMmioRead(changetype<Vm>(vm), <u64>off, 4); }
export function hxPcLapicWrite(vm: usize, off: u32, v: u32): void { pcLapicMmioWrite(changetype<Vm>(vm), <u64>off, 4, <u64>v); }
/** ISA IRQ line `irq` to `level`, then the wiring samples it (a device model would do this). */
export function hxPcIrqLine(vm: usize, irq: u32, level: bool, now: u64): void {
  const b = pcBlock(changetype<Vm>(vm));
  irqSet(pcLines(b), irq, level);
  pcSync(changetype<Vm>(vm), b, now);
}
export function hxException(vcpu: usize, vector: u32, err: u32): bool {
  exitsVcpuReady(changetype<VCpu>(vcpu));
  return queueException(extEvents(changetype<VCpu>(vcpu)), vector, err);
}
