// Building a Linux VM from its declaration (src/vmm/config/vm-config.ts): guest RAM behind its own
// EPT, the PC platform (src/vmm/pc/), ACPI tables at 0xE0000, the E820 map, the kernel, initrd
// and command line placed by the Linux 64-bit boot protocol loader (src/vmm/loader/), one vCPU
// whose VMCS starts at the kernel's 64-bit entry. Every failure refuses that VM alone with
// `[NAME] stopped: …`; frames already taken stay with the refused VM (it never runs).
//
// Guest-physical map: RAM [0, mem) (mem ≤ 2 GiB: below the PCI/APIC window), the legacy hole
// 0x9F000–0x100000 reported reserved (the ACPI tables live in it, at 0xE0000), the IOAPIC page
// 0xFEC00000 and the LAPIC page 0xFEE00000 unmapped in the EPT (MMIO through EPT violations).

import { hw_rdtsc } from "../hw";
import { FrameAllocator, allocContiguous } from "./mem/frames";
import { IdentityPhys } from "../ept/phys";
import { vmxCaps } from "../vmx/vmx-cpu";
import { print, printDec, printHex, println, putChar } from "./console/print";
import { Vm, vmCreate, hostPhys, printVmPrefix, stopVmBegin, VmState } from "./vm";
import { refuse, buildGuestRam, newVmcs, vcpuPrepare, vcpuCommit } from "./vm-setup";
import { writeBootState } from "./guest-boot-state";
import { platformSetup } from "./devices/platform";
import { BusStatus } from "./bus/bus";
import { VmDecl, vmDeclName, vmDeclCmdline } from "./config/vm-config";
import { pcCreate, PC_BLOCK_BYTES, PC_OFF_E820, PC_OFF_ACPI_SCRATCH, PC_OFF_BOOT_STATE, PC_OFF_LOAD_INFO, PC_OFF_LOAD_PARAMS } from "./pc/pc";
import { acpiBuild } from "./acpi/build";
import { E820Table, E820Entry, e820Build, e820StatusText, E820Status, E820_RESERVED } from "./loader/e820";
import { LinuxLoadParams, LinuxLoadInfo, linuxLoad, linuxStatusText, LinuxStatus } from "./loader/linux";
import { BootState } from "./loader/boot-state";
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

@inline function reserve(i: u32, addr: u64, size: u64): void {
  const e = changetype<E820Entry>(RESERVED + <usize>i * 24);
  e.addr = addr;
  e.size = size;
  e.type = E820_RESERVED;
  e._pad = 0;
}

/** `[NAME] stopped: Linux: <reason> (detail 0x…)`. */
function refuseLoad(vm: Vm, status: u32, detail: u64): void {
  stopVmBegin(vm);
  print("Linux: ");
  print(linuxStatusText(status));
  print(" (detail ");
  printHex(detail);
  println(")");
  vm.state = VmState.STOPPED;
}

/** Creates the VM of `d`. Returns 1 when it is runnable, 0 when refused (message printed). */
export function createLinuxVm(d: VmDecl, a: FrameAllocator): u32 {
  const vm = vmCreate(vmDeclName(d));
  if (vm == null) { println("VMs: no VM slot left; a declared Linux VM is not started"); return 0; }
  const bytes = <u64>d.memMiB * MIB;
  if (!buildGuestRam(vm, a, bytes, "no host memory for guest RAM (mem= too large for this machine)")) return 0;

  const block = allocContiguous(a, PC_BLOCK_BYTES >> 12, 1, LIMIT_4G);
  if (block == 0) { refuse(vm, "no host memory for the platform devices"); return 0; }
  memory.fill(<usize>block, 0, <usize>PC_BLOCK_BYTES);
  const b = <usize>block;
  const tscHz = hostTscHz();
  pcCreate(vm, b, tscHz, hw_rdtsc(), bytes, hostYear(), hostMonth(), hostDay(), hostHour(), hostMinute(), hostSecond());
  if (platformSetup(vm) != BusStatus.OK) { refuse(vm, "platform devices could not be registered"); return 0; }

  const rsdp = acpiBuild<IdentityPhys>(vm.memory(), hostPhys(), ACPI_GPA, ACPI_SIZE, 1, b + PC_OFF_ACPI_SCRATCH);
  if (rsdp == 0) { refuse(vm, "ACPI tables could not be written"); return 0; }

  const range = changetype<usize>(RAM_RANGE);
  store<u64>(range, 0);
  store<u64>(range + 8, bytes);
  reserve(0, IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE);
  reserve(1, LAPIC_DEFAULT_BASE, LAPIC_MMIO_SIZE);
  const e820 = changetype<E820Table>(b + PC_OFF_E820);
  const es = e820Build(e820, range, 1, RESERVED, 2);
  if (es != E820Status.OK) { stopVmBegin(vm); print("E820 map: "); println(e820StatusText(es)); vm.state = VmState.STOPPED; return 0; }

  const p = changetype<LinuxLoadParams>(b + PC_OFF_LOAD_PARAMS);
  p.kernel = d.kernel;
  p.kernelLen = d.kernelLen;
  p.initrd = d.initrd;
  p.initrdLen = d.initrdLen;
  p.cmdline = <u64>vmDeclCmdline(d);
  p.cmdlineLen = <u64>d.cmdlineLen;
  p.acpiRsdp = rsdp;
  p.e820 = changetype<usize>(e820);
  const info = changetype<LinuxLoadInfo>(b + PC_OFF_LOAD_INFO);
  const state = changetype<BootState>(b + PC_OFF_BOOT_STATE);
  const ls = linuxLoad<IdentityPhys>(vm.memory(), hostPhys(), p, info, state);
  if (ls != LinuxStatus.OK) { refuseLoad(vm, ls, info.detail); return 0; }

  const vcpu = vcpuPrepare(vm, a);
  if (vcpu == null) return 0;
  if (!newVmcs(vm, vcpu, a, true)) return 0;
  if (writeBootState(state, vcpu, vmxCaps(0)) != 0) { refuse(vm, "a VMWRITE to the new VMCS failed"); return 0; }
  vcpuCommit(vm, vcpu);

  printVmPrefix(vm);
  print("created: Linux, RAM ");
  printDec(d.memMiB);
  print(" MiB at host ");
  printHex(vm.ramHpa);
  print(", kernel at ");
  printHex(info.kernel);
  print(" (protocol ");
  printHex(info.protocol);
  print("), initrd ");
  printDec(info.initrdBytes);
  print(" bytes at ");
  printHex(info.initrd);
  print(", TSC ");
  printDec(tscHz / 1000);
  println(" kHz");
  printVmPrefix(vm);
  print("command line: ");
  const c = vmDeclCmdline(d);
  for (let i: u32 = 0; i < d.cmdlineLen; i++) {
    const ch = <u32>load<u8>(c + <usize>i);
    putChar(ch >= 0x20 && ch < 0x7F ? ch : 0x3F);
  }
  println("");
  return 1;
}
