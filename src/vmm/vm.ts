// The VM: its name, RAM (GuestMemory over its EPT), console line buffer, state and exit counters.
// VMs live in a static slab (no allocation in the core): MAX_VMS slots of VM_SLOT_SIZE bytes.
//
// Slot layout (byte offsets):
//   0 id  4 state  8 name (NUL-terminated, in the image)  12 vcpuCount  16 vcpu0 (VCpu*)  20 conLen
//  24 Ept {pml4 u64, flags u32, tables u32}           (src/ept/table.ts, embedded)
//  40 GuestMemory {ept, ram, ramCount, pad}            (src/ept/guest-memory.ts, embedded)
//  56 RAM map: one GpaRange {start, end}              (src/ept/guest-memory.ts)
//  72 ramHpa   80 exitStatus   88 exitsOther (exits of reasons beyond the counter table)
// 128 console line buffer, CONSOLE_LINE_MAX bytes
// 384 exit counters, EXIT_REASON_COUNT × u32
//
// Everything a guest can influence goes through the checked paths here and in GuestMemory; the
// name pointer comes from our own image (build/guests/guests.o), printed with a length bound.

import { Ept } from "../ept/table";
import { GuestMemory, GmStatus, gmRead, gmWrite } from "../ept/guest-memory";
import { IdentityPhys } from "../ept/phys";
import { EXIT_REASON_COUNT } from "../vmx/exit-reasons";
import { VCpu } from "../vmx/vcpu";
import { VCpuState } from "../sched/state";
import { print, println, putChar } from "./console/print";
import { dumpVcpu } from "./dump";

export const MAX_VMS: u32 = 8;
export const VM_SLOT_SIZE: u32 = 1024;
/** A console line longer than this is split (docs/guest-protocol.md "Console output"). */
export const CONSOLE_LINE_MAX: u32 = 200;
const CONSOLE_OFF: usize = 128;
const COUNTERS_OFF: usize = 384;
const NAME_MAX: u32 = 32;

export const enum VmState {
  /** Slot not in use. */
  FREE = 0,
  RUNNING = 1,
  /** Ended through the exit hypercall (docs/guest-protocol.md). */
  EXITED = 2,
  /** Every vCPU halted with interrupts disabled: nothing can wake it. */
  HALTED = 3,
  /** Stopped by the hypervisor (fault, bad state, unhandled exit): `[NAME] stopped: …`. */
  STOPPED = 4,
  /** A Linux VM powered itself off (ACPI S5) or asked for a reset (src/vmm/pc/pc-run.ts). */
  POWERED_OFF = 5,
}

@unmanaged export class Vm {
  id: u32;
  state: u32;
  name: usize;
  vcpuCount: u32;
  vcpu0: usize;
  conLen: u32;
  eptPml4: u64;
  eptFlags: u32;
  eptTables: u32;
  gmEpt: usize;
  gmRam: usize;
  gmRamCount: u32;
  gmPad: u32;
  ramStart: u64;
  ramEnd: u64;
  ramHpa: u64;
  exitStatus: u64;
  /** Exits whose basic reason is beyond the counter table (vmExitsTotal adds the table). */
  exitsOther: u64;

  /** The embedded EPT (layout-compatible with src/ept/table.ts Ept at offset 24). */
  @inline ept(): Ept { return changetype<Ept>(changetype<usize>(this) + offsetof<Vm>("eptPml4")); }
  /** The embedded GuestMemory (offset 40), whose ept/ram pointers point into this slot. */
  @inline memory(): GuestMemory { return changetype<GuestMemory>(changetype<usize>(this) + offsetof<Vm>("gmEpt")); }
  @inline vcpu(): VCpu { return changetype<VCpu>(this.vcpu0); }
}

const VMS: usize = memory.data(<i32>(MAX_VMS * VM_SLOT_SIZE), 16);
let vmCountValue: u32 = 0;

/** Physical memory as the core reaches it: identity, below 4 GiB (wasm32 addressing). */
const PHYS: usize = memory.data(8, 8);
export function hostPhys(): IdentityPhys {
  const p = changetype<IdentityPhys>(PHYS);
  p.limit = <u64>1 << 32;
  return p;
}

export function vmCount(): u32 { return vmCountValue; }
/** VM `i`. Invariant: i < vmCount(). */
export function vmAt(i: u32): Vm { return changetype<Vm>(VMS + <usize>i * VM_SLOT_SIZE); }
export function vmOf(vcpu: VCpu): Vm { return changetype<Vm>(vcpu.vm); }

/** Claims the next slot (zeroed, RAM map wired to the embedded EPT), or null when all are used. */
export function vmCreate(name: usize): Vm | null {
  assert(offsetof<Vm>("exitsOther") == 88 && COUNTERS_OFF == 384 && offsetof<Vm>() <= CONSOLE_OFF, "Vm layout");
  if (vmCountValue >= MAX_VMS) return null;
  const vm = vmAt(vmCountValue);
  memory.fill(changetype<usize>(vm), 0, VM_SLOT_SIZE);
  vm.id = vmCountValue;
  vm.name = name;
  vm.state = VmState.RUNNING;
  vm.gmEpt = changetype<usize>(vm.ept());
  vm.gmRam = changetype<usize>(vm) + offsetof<Vm>("ramStart");
  vm.gmRamCount = 1;
  vmCountValue++;
  return vm;
}

/** Reads guest-physical [gpa, gpa+len) into host memory at `dst` (checked, all or nothing). */
export function vmRead(vm: Vm, gpa: u64, dst: usize, len: u64): GmStatus {
  return gmRead<IdentityPhys>(vm.memory(), hostPhys(), gpa, dst, len);
}
/** Writes host memory at `src` to guest-physical [gpa, gpa+len) (checked, all or nothing). */
export function vmWrite(vm: Vm, gpa: u64, src: usize, len: u64): GmStatus {
  return gmWrite<IdentityPhys>(vm.memory(), hostPhys(), gpa, src, len);
}

// ---- names and console -----------------------------------------------------------------------

/** Prints the VM's name (at most NAME_MAX bytes of the NUL-terminated string). */
export function printVmName(vm: Vm): void {
  for (let i: u32 = 0; i < NAME_MAX; i++) {
    const c = <u32>load<u8>(vm.name + i);
    if (c == 0) break;
    putChar(c >= 0x20 && c < 0x7f ? c : 0x3f);
  }
}
/** "[NAME] " — the prefix of every line about or from a VM. */
export function printVmPrefix(vm: Vm): void {
  putChar(0x5b);
  printVmName(vm);
  print("] ");
}

/** Byte `i` of the console line. Invariant: i < CONSOLE_LINE_MAX. */
@inline function conByteAddr(vm: Vm, i: u32): usize { return changetype<usize>(vm) + CONSOLE_OFF + i; }

/** Prints the buffered console line (if any) with the VM's prefix and empties the buffer. */
export function vmConsoleFlush(vm: Vm): void {
  if (vm.conLen == 0) return;
  printVmPrefix(vm);
  for (let i: u32 = 0; i < vm.conLen; i++) putChar(<u32>load<u8>(conByteAddr(vm, i)));
  putChar(0x0a);
  vm.conLen = 0;
}

/**
 * Appends one byte of guest console output (port 0xE9, console_write hypercall). LF ends the line;
 * CR is dropped (our console adds its own); other control and non-ASCII bytes print as '?'; a
 * line reaching CONSOLE_LINE_MAX bytes is flushed as is (split).
 */
export function vmConsolePutByte(vm: Vm, byte: u32): void {
  const c = byte & 0xFF;
  if (c == 0x0a) { if (vm.conLen == 0) { printVmPrefix(vm); putChar(0x0a); } else vmConsoleFlush(vm); return; }
  if (c == 0x0d) return;
  if (vm.conLen >= CONSOLE_LINE_MAX) vmConsoleFlush(vm);
  store<u8>(conByteAddr(vm, vm.conLen), <u8>(c >= 0x20 && c < 0x7f ? c : 0x3f));
  vm.conLen++;
}

// ---- exit counters ---------------------------------------------------------------------------

/** Counter cell of `basic`. Invariant: basic < EXIT_REASON_COUNT (callers check). */
@inline function counterAddr(vm: Vm, basic: u32): usize { return changetype<usize>(vm) + COUNTERS_OFF + (<usize>basic << 2); }

/**
 * Counts one exit: in its reason's counter, or in exitsOther for a reason beyond the table. The
 * total is not kept but summed when printed (vmExitsTotal): with a constant reason, as on the
 * exit path's hot handlers (exit-lite.ts, exit-fast.ts), this is one load, add and store.
 */
@inline export function vmCountExit(vm: Vm, basic: u32): void {
  if (basic < EXIT_REASON_COUNT) store<u32>(counterAddr(vm, basic), load<u32>(counterAddr(vm, basic)) + 1);
  else vm.exitsOther++;
}
/** Every exit `vm` took: the per-reason counters and exitsOther. */
export function vmExitsTotal(vm: Vm): u64 {
  let n = vm.exitsOther;
  for (let r: u32 = 0; r < EXIT_REASON_COUNT; r++) n += <u64>load<u32>(counterAddr(vm, r));
  return n;
}
export function vmExitCount(vm: Vm, basic: u32): u32 {
  return basic < EXIT_REASON_COUNT ? load<u32>(counterAddr(vm, basic)) : 0;
}

// ---- stopping ----------------------------------------------------------------------------------

/** Starts the stop message: flushes the console, prints `[NAME] stopped: `; the caller prints the rest. */
export function stopVmBegin(vm: Vm): void {
  vmConsoleFlush(vm);
  printVmPrefix(vm);
  print("stopped: ");
}
/**
 * Ends the stop message (newline), dumps `vcpu`'s registers and VMCS state (its VMCS must be
 * current), marks the VM STOPPED and every vCPU DONE. Other VMs are untouched.
 */
export function stopVmEnd(vcpu: VCpu): void {
  const vm = vmOf(vcpu);
  putChar(0x0a);
  dumpVcpu(vcpu, vm);
  vm.state = VmState.STOPPED;
  vcpu.state = VCpuState.DONE;
}
/** `[NAME] stopped: <reason>` + dump; the VM never runs again. */
export function stopVm(vcpu: VCpu, reason: string): void {
  stopVmBegin(vmOf(vcpu));
  print(reason);
  stopVmEnd(vcpu);
}

/** Ends the VM without error: `state` is EXITED or HALTED; the caller prints why. */
export function finishVm(vcpu: VCpu, state: VmState): void {
  const vm = vmOf(vcpu);
  vmConsoleFlush(vm);
  vm.state = state;
  vcpu.state = VCpuState.DONE;
}

