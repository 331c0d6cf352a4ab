// What every VM on the PC platform shares, whatever loads its kernel (linux-vm.ts: the Linux
// boot protocol; multiboot-vm.ts: Multiboot 0.6.96): guest RAM [0, mem) behind its own EPT, the
// PC devices (src/vmm/pc/), ACPI tables at 0xE0000, the E820 map every loader reads, and — once
// the loader has described the entry state — the one vCPU with its VMCS. Every failure refuses
// that VM alone with `[NAME] stopped: …`; frames already taken stay with the refused VM (it
// never runs).
//
// Guest-physical map: RAM [0, mem) (mem ≤ 2 GiB: below the PCI/APIC window), the legacy hole
// 0x9F000–0x100000 reported reserved (the ACPI tables live in it, at 0xE0000), the IOAPIC page
// 0xFEC00000 and the LAPIC page 0xFEE00000 unmapped in the EPT (MMIO through EPT violations).

import { hw_rdtsc } from "../hw";
import { FrameAllocator, allocContiguous } from "./mem/frames";
import { IdentityPhys } from "../ept/phys";
import { vmxCaps } from "../vmx/vmx-cpu";
import { print, printHex, println, putChar } from "./console/print";
import { Vm, vmCreate, hostPhys, printVmPrefix, stopVmBegin, VmState } from "./vm";
import { refuse, buildGuestRam, newVmcs, vcpuPrepare, vcpuCommit } from "./vm-setup";
import { writeBootState } from "./guest-boot-state";
import { platformSetup } from "./devices/platform";
import { BusStatus } from "./bus/bus";
import { VmDecl, vmDeclName, vmDeclCmdline } from "./config/vm-config";
import { pcCreate, PC_BLOCK_BYTES, PC_OFF_E820, PC_OFF_ACPI_SCRATCH } from "./pc/pc";
import { acpiBuild } from "./acpi/build";
import { E820Table, E820Entry, e820Build, e820StatusText, E820Status, E820_RESERVED } from "./loader/e820";
import { BootState, BOOT_MODE_LONG64 } from "./loader/boot-state";
import { hostTscHz, hostYear, hostMonth, hostDay, hostHour, hostMinute, hostSecond } from "./time/host-time";
import { LAPIC_DEFAULT_BASE, LAPIC_MMIO_SIZE } from "./platform/lapic-state";
import { IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE } from "./platform/ioapic";

const LIMIT_4G: u64 = <u64>1 << 32;
const MIB: u64 = 1 << 20;
/** ACPI tables: 0xE0000–0xFFFFF (src/vmm/acpi/README.md), inside the legacy hole. */
const ACPI_GPA: u64 = 0xE0000;
const ACPI_SIZE: u64 = 0x20000;
/** Static scratch: the RAM range and the reserved entries handed to e820Build. */
const RAM_RANGE: usize = memory.data(16, 8);
const RESERVED: usize = memory.data(2 * 24, 8);

/**
 * A PC VM under construction (static, one at a time: VMs are built one after the other):
 *   0 vm (Vm*)  4 block (its PC block, PC_BLOCK_BYTES of host frames; the loaders' parameter,
 *   result and BootState blocks live there: src/vmm/pc/pc.ts)  8 rsdp (guest-physical)
 *   16 tscHz
 */
@unmanaged export class PcVm {
  vm: usize;
  block: usize;
  rsdp: u64;
  tscHz: u64;
}
const PARTS: usize = memory.data(24, 8);

@inline function reserve(i: u32, addr: u64, size: u64): void {
  const e = changetype<E820Entry>(RESERVED + <usize>i * 24);
  e.addr = addr;
  e.size = size;
  e.type = E820_RESERVED;
  e._pad = 0;
}

/** The VM's E820 map (built by pcVmBuild). */
export function pcVmE820(p: PcVm): E820Table { return changetype<E820Table>(p.block + PC_OFF_E820); }

/**
 * Creates the VM of `d`: RAM, EPT, PC devices, ACPI tables, E820 map. Null when it was refused
 * (message printed).
 */
export function pcVmBuild(d: VmDecl, a: FrameAllocator): PcVm | null {
  const vm = vmCreate(vmDeclName(d));
  if (vm == null) {
    print("VMs: no VM slot left; VM `");
    const n = vmDeclName(d);
    for (let i: usize = 0; i < 16 && load<u8>(n + i) != 0; i++) putChar(<u32>load<u8>(n + i));
    println("` is not started");
    return null;
  }
  const bytes = <u64>d.memMiB * MIB;
  if (!buildGuestRam(vm, a, bytes, "no host memory for guest RAM (mem= too large for this machine)")) return null;

  const block = allocContiguous(a, PC_BLOCK_BYTES >> 12, 1, LIMIT_4G);
  if (block == 0) { refuse(vm, "no host memory for the platform devices"); return null; }
  memory.fill(<usize>block, 0, <usize>PC_BLOCK_BYTES);
  const b = <usize>block;
  const tscHz = hostTscHz();
  pcCreate(vm, b, tscHz, hw_rdtsc(), bytes, hostYear(), hostMonth(), hostDay(), hostHour(), hostMinute(), hostSecond());
  if (platformSetup(vm) != BusStatus.OK) { refuse(vm, "platform devices could not be registered"); return null; }

  const rsdp = acpiBuild<IdentityPhys>(vm.memory(), hostPhys(), ACPI_GPA, ACPI_SIZE, 1, b + PC_OFF_ACPI_SCRATCH);
  if (rsdp == 0) { refuse(vm, "ACPI tables could not be written"); return null; }

  const range = changetype<usize>(RAM_RANGE);
  store<u64>(range, 0);
  store<u64>(range + 8, bytes);
  reserve(0, IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE);
  reserve(1, LAPIC_DEFAULT_BASE, LAPIC_MMIO_SIZE);
  const es = e820Build(changetype<E820Table>(b + PC_OFF_E820), range, 1, RESERVED, 2);
  if (es != E820Status.OK) { stopVmBegin(vm); print("E820 map: "); println(e820StatusText(es)); vm.state = VmState.STOPPED; return null; }

  const p = changetype<PcVm>(PARTS);
  p.vm = changetype<usize>(vm);
  p.block = b;
  p.rsdp = rsdp;
  p.tscHz = tscHz;
  return p;
}

/** `[NAME] stopped: LOADER: <reason> (detail 0x…)`: the loader refused the kernel. */
export function pcVmRefuseLoad(vm: Vm, loader: string, reason: string, detail: u64): void {
  stopVmBegin(vm);
  print(loader);
  print(": ");
  print(reason);
  print(" (detail ");
  printHex(detail);
  println(")");
  vm.state = VmState.STOPPED;
}

/**
 * The VM's one vCPU, its VMCS holding the loader's entry state `s` (the "IA-32e mode guest"
 * entry control iff s.mode == 64; a 32-bit protected-mode entry with paging off relies on
 * "unrestricted guest", which vmx bring-up requires), made runnable. False when refused.
 */
export function pcVmStartVcpu(vm: Vm, a: FrameAllocator, s: BootState): bool {
  const vcpu = vcpuPrepare(vm, a);
  if (vcpu == null) return false;
  if (!newVmcs(vm, vcpu, a, s.mode == BOOT_MODE_LONG64)) return false;
  if (writeBootState(s, vcpu, vmxCaps(0)) != 0) { refuse(vm, "a VMWRITE to the new VMCS failed"); return false; }
  vcpuCommit(vm, vcpu);
  return true;
}

/** `[NAME] command line: …` (non-printable bytes as `?`). */
export function pcVmPrintCmdline(vm: Vm, d: VmDecl): void {
  printVmPrefix(vm);
  print("command line: ");
  const c = vmDeclCmdline(d);
  for (let i: u32 = 0; i < d.cmdlineLen; i++) {
    const ch = <u32>load<u8>(c + <usize>i);
    putChar(ch >= 0x20 && ch < 0x7F ? ch : 0x3F);
  }
  println("");
}
