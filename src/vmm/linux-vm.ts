// Building a Linux VM from its declaration (src/vmm/config/vm-config.ts): the PC VM of
// pc-vm.ts (guest RAM behind its own EPT, the PC platform, ACPI tables at 0xE0000, the E820
// map), the kernel, initrd and command line placed by the Linux 64-bit boot protocol loader
// (src/vmm/loader/linux.ts), one vCPU whose VMCS starts at the kernel's 64-bit entry. Every
// failure refuses that VM alone with `[NAME] stopped: …`.

import { FrameAllocator } from "./mem/frames";
import { IdentityPhys } from "../ept/phys";
import { print, printDec, printHex, println } from "./console/print";
import { Vm, hostPhys, printVmPrefix } from "./vm";
import { VmDecl, vmDeclCmdline } from "./config/vm-config";
import { PC_OFF_BOOT_STATE, PC_OFF_LOAD_INFO, PC_OFF_LOAD_PARAMS } from "./pc/pc";
import { pcVmBuild, pcVmE820, pcVmRefuseLoad, pcVmStartVcpu, pcVmPrintCmdline } from "./pc-vm";
import { LinuxLoadParams, LinuxLoadInfo, linuxLoad, linuxStatusText, LinuxStatus } from "./loader/linux";
import { BootState } from "./loader/boot-state";

/** Creates the VM of `d`. Returns 1 when it is runnable, 0 when refused (message printed). */
export function createLinuxVm(d: VmDecl, a: FrameAllocator): u32 {
  const pc = pcVmBuild(d, a);
  if (pc == null) return 0;
  const vm = changetype<Vm>(pc.vm);
  const b = pc.block;

  const p = changetype<LinuxLoadParams>(b + PC_OFF_LOAD_PARAMS);
  p.kernel = d.kernel;
  p.kernelLen = d.kernelLen;
  p.initrd = d.initrd;
  p.initrdLen = d.initrdLen;
  p.cmdline = <u64>vmDeclCmdline(d);
  p.cmdlineLen = <u64>d.cmdlineLen;
  p.acpiRsdp = pc.rsdp;
  p.e820 = changetype<usize>(pcVmE820(pc));
  const info = changetype<LinuxLoadInfo>(b + PC_OFF_LOAD_INFO);
  const state = changetype<BootState>(b + PC_OFF_BOOT_STATE);
  const ls = linuxLoad<IdentityPhys>(vm.memory(), hostPhys(), p, info, state);
  if (ls != LinuxStatus.OK) { pcVmRefuseLoad(vm, "Linux", linuxStatusText(ls), info.detail); return 0; }
  if (!pcVmStartVcpu(vm, a, state)) return 0;

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
  printDec(pc.tscHz / 1000);
  println(" kHz");
  pcVmPrintCmdline(vm, d);
  return 1;
}
