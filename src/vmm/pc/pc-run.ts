// The run loop's side of the PC platform (src/vmm/run.ts calls these for VMs with a PC block):
// device time, interrupt delivery, power-off, and the wait of halted vCPUs.
//
// Time: devices are ticked lazily — whenever the vCPU exits for any reason and the earliest
// device deadline (PcCtl.next) has passed — and before every entry the VMX-preemption timer
// (SDM Vol 3C §25.5.1) is armed for min(end of the time slice, that deadline), so a guest that
// never exits still sees its timer interrupts on time.
//
// Interrupts: before every entry, when the LAPIC (or the 8259 through LINT0) has a vector for the
// vCPU, it is acknowledged at its controller and injected in this entry if the guest can take it
// (RFLAGS.IF = 1, no STI/MOV-SS blocking, no other event: §26.3.1.5); otherwise it stays requested
// (IRR) and an interrupt-window exit (§25.2) brings the vCPU back when it can — the hardware's
// INTA happens at delivery too, so a higher-priority request arriving meanwhile overtakes it
// (src/vmm/events/ext-irq.ts).
//
// HLT with IF = 1 (src/vmm/core-exits.ts) leaves the vCPU HALTED. pcWakeHalted runs each
// scheduling round: a halted vCPU whose device deadline has come is ticked and woken when an
// interrupt is waiting. When nothing else can run, pcWaitForEvent spins on the TSC (with PAUSE)
// until the earliest deadline of the halted vCPUs: the host programs no interrupt source of its
// own yet, so HLT on the host could never wake up.

import { hw_rdtsc, hw_pause } from "../../hw";
import { VCpu } from "../../vmx/vcpu";
import { vmwrite32 } from "../../vmx/vmcs-access";
import { Vmcs32Guest } from "../../vmx/vmcs/fields";
import { VCpuState } from "../../sched/state";
import { preemptionTimerValue } from "../../sched/policy";
import { Vm, VmState, vmOf, finishVm, printVmPrefix, vmExitsTotal } from "../vm";
import { print, printDec, println } from "../console/print";
import { EventState, queueNmi } from "../events/pending";
import { INTR_VALID } from "../events/interruption";
import { extIrqOpen, extIrqInject, extIrqWait, extIrqNone } from "../events/ext-irq";
import { pcBlock, pcCtl, pcTick, pcTakeInterrupt, pcInterruptWaiting, PcStop, PcCtl } from "./pc";

/** `[NAME] powered off (why)`, then the first-entry TSC and the exit count, for the benchmarks. */
function reportPowerOff(vm: Vm, b: usize, stop: u32): void {
  printVmPrefix(vm);
  print("powered off (");
  if (stop == PcStop.S5) print("ACPI S5");
  else if (stop == PcStop.RESET_CF9) print("reset through port 0xCF9; a VM reset ends the VM");
  else print("reset through the 8042 command 0xFE; a VM reset ends the VM");
  println(")");
  printVmPrefix(vm);
  print("first guest instruction at tsc=");
  printDec(pcCtl(b).firstEntry);
  print(", ");
  printDec(vmExitsTotal(vm));
  print(" exits, ");
  printDec(pcCtl(b).irqsInjected);
  println(" interrupts injected");
}

/**
 * Before each entry of a PC VM's vCPU. Returns false when the VM has ended (powered off or
 * reset): the caller stops running it. `sliceEnd` is the TSC at which the slice ends; `rate` the
 * preemption timer's TSC shift (IA32_VMX_MISC[4:0]).
 */
export function pcBeforeEntry(vcpu: VCpu, vm: Vm, b: usize, ev: EventState, sliceEnd: u64, rate: u32): bool {
  const c = pcCtl(b);
  const now = hw_rdtsc();
  if (c.stop != PcStop.NONE) {
    const stop = c.stop;
    finishVm(vcpu, VmState.POWERED_OFF);
    reportPowerOff(vm, b, stop);
    return false;
  }
  if (now >= c.next) pcTick(vm, b, now);
  if (c.firstEntry == 0) c.firstEntry = now;
  if (c.nmi != 0) { queueNmi(ev); c.nmi = 0; }
  // An interrupt queued already acknowledged (queueIrq) is injected by the event layer first.
  if ((ev.irq & INTR_VALID) == 0) pcOfferInterrupt(vm, b, c, ev, now);
  const until = min<u64>(sliceEnd, c.next);
  const ticks = until > now ? until - now : 1;
  vmwrite32(Vmcs32Guest.PREEMPTION_TIMER_VALUE, preemptionTimerValue(ticks, rate));
  return true;
}

/**
 * The controllers' interrupt for this entry: acknowledged and injected now when the guest can
 * take it, else left in the IRR behind an interrupt window (events/ext-irq.ts). Costs no VMCS
 * access when no interrupt waits.
 */
function pcOfferInterrupt(vm: Vm, b: usize, c: PcCtl, ev: EventState, now: u64): void {
  if (!pcInterruptWaiting(b)) { extIrqNone(ev); return; }
  if (!extIrqOpen(ev)) { extIrqWait(ev); return; }
  const v = pcTakeInterrupt(vm, b, now);
  // pcTakeInterrupt tests what pcInterruptWaiting tested: -1 is not expected here.
  if (v < 0) { extIrqNone(ev); return; }
  extIrqInject(ev, <u32>v, pcInterruptWaiting(b));
  c.irqsInjected++;
}

/** Wakes halted PC vCPUs whose device time came and who now have an interrupt waiting. */
export function pcWakeHalted(vcpus: usize, n: u32, stride: u32): void {
  const now = hw_rdtsc();
  for (let i: u32 = 0; i < n; i++) {
    const vcpu = changetype<VCpu>(vcpus + <usize>i * stride);
    if (vcpu.state != VCpuState.HALTED) continue;
    const vm = vmOf(vcpu);
    const b = pcBlock(vm);
    if (b == 0) continue;
    const c = pcCtl(b);
    if (now >= c.next) pcTick(vm, b, now);
    if (c.stop != PcStop.NONE || c.nmi != 0 || pcInterruptWaiting(b)) vcpu.state = VCpuState.RUNNABLE;
  }
}

/**
 * Nothing is runnable: waits on the TSC until the earliest device deadline of a halted PC vCPU,
 * then wakes what can run. False when no halted vCPU has any deadline (nothing can wake them).
 */
export function pcWaitForEvent(vcpus: usize, n: u32, stride: u32): bool {
  let until: u64 = U64.MAX_VALUE;
  for (let i: u32 = 0; i < n; i++) {
    const vcpu = changetype<VCpu>(vcpus + <usize>i * stride);
    if (vcpu.state != VCpuState.HALTED) continue;
    const b = pcBlock(vmOf(vcpu));
    if (b != 0) until = min<u64>(until, pcCtl(b).next);
  }
  if (until == U64.MAX_VALUE) return false;
  while (hw_rdtsc() < until) hw_pause();
  pcWakeHalted(vcpus, n, stride);
  return true;
}
