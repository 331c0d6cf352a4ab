// Building a multiboot VM from its declaration (src/vmm/config/vm-config.ts, kind `multiboot`):
// the PC VM of pc-vm.ts (the same RAM, EPT, PC platform, ACPI tables and E820 map a Linux VM
// gets), the kernel and its `module` modules placed by the Multiboot 0.6.96 loader
// (src/vmm/loader/multiboot.ts), one vCPU whose VMCS holds the machine state of §3.2:
//
//   EAX = 0x2BADB002, EBX = the MBI's guest-physical address, CS/DS/ES/FS/GS/SS flat 32-bit
//   segments, CR0.PE = 1 and CR0.PG = 0 (a guest in protected mode without paging: VMX
//   "unrestricted guest", which bring-up requires), EFLAGS.IF = EFLAGS.VM = 0.
//
// The kernel finds its memory in the MBI (§3.3: mem_lower/mem_upper and the memory map, built
// from the VM's E820 map), its command line, and its modules with their strings; its console
// is COM1 and it powers off through ACPI (PM1a_CNT, as a Linux VM does). Every failure refuses
// that VM alone with `[NAME] stopped: …`.

import { FrameAllocator } from "./mem/frames";
import { IdentityPhys } from "../ept/phys";
import { print, printDec, printHex, println } from "./console/print";
import { Vm, hostPhys, printVmPrefix } from "./vm";
import { VmDecl, VmModule, MAX_MODULES, vmDeclCmdline, vmDeclModule, vmModuleString } from "./config/vm-config";
import { PC_OFF_BOOT_STATE, PC_OFF_LOAD_INFO, PC_OFF_LOAD_PARAMS } from "./pc/pc";
import { pcVmBuild, pcVmE820, pcVmRefuseLoad, pcVmStartVcpu, pcVmPrintCmdline } from "./pc-vm";
import { MbLoadParams, MbLoadInfo, multibootLoad, multibootStatusText, MbStatus, MB_NOTE_VIDEO_IGNORED } from "./loader/multiboot";
import { MbModule, mbModuleAt } from "./loader/multiboot-mbi";
import { BootState } from "./loader/boot-state";

/** The loader's module array (MbModule each): filled from the declaration, read by the loader. */
const MODS: usize = memory.data(<i32>(MAX_MODULES * <u32>offsetof<MbModule>()), 8);

/** Creates the VM of `d`. Returns 1 when it is runnable, 0 when refused (message printed). */
export function createMultibootVm(d: VmDecl, a: FrameAllocator): u32 {
  const pc = pcVmBuild(d, a);
  if (pc == null) return 0;
  const vm = changetype<Vm>(pc.vm);
  const b = pc.block;

  // The declaration bounded modCount by the boot-module count (≤ MAX_MODULES); the strings are
  // the declaration's copies (NUL-terminated, strLen bytes), not the boot loader's memory.
  const n = d.modCount < MAX_MODULES ? d.modCount : MAX_MODULES;
  for (let i: u32 = 0; i < n; i++) {
    const src: VmModule = vmDeclModule(d, i);
    const m: MbModule = mbModuleAt(MODS, i);
    m.image = src.start;
    m.len = src.len;
    m.cmdline = <u64>vmModuleString(src);
    m.cmdlineLen = <u64>src.strLen;
    m.gpa = 0;
  }
  const p = changetype<MbLoadParams>(b + PC_OFF_LOAD_PARAMS);
  p.kernel = d.kernel;
  p.kernelLen = d.kernelLen;
  p.cmdline = <u64>vmDeclCmdline(d);
  p.cmdlineLen = <u64>d.cmdlineLen;
  p.e820 = changetype<usize>(pcVmE820(pc));
  p.mods = MODS;
  p.modCount = n;
  p._pad = 0;
  // The Linux loader's parameter and result blocks of the PC block hold these too: MbLoadParams
  // (48 bytes) ≤ 64 at PC_OFF_LOAD_PARAMS, MB_LOAD_INFO_BYTES (136) ≤ 512 at PC_OFF_LOAD_INFO.
  const info = changetype<MbLoadInfo>(b + PC_OFF_LOAD_INFO);
  const state = changetype<BootState>(b + PC_OFF_BOOT_STATE);
  const st = multibootLoad<IdentityPhys>(vm.memory(), hostPhys(), p, info, state);
  if (st != MbStatus.OK) { pcVmRefuseLoad(vm, "multiboot", multibootStatusText(st), info.detail); return 0; }
  if (!pcVmStartVcpu(vm, a, state)) return 0;

  printVmPrefix(vm);
  print("created: multiboot, RAM ");
  printDec(d.memMiB);
  print(" MiB at host ");
  printHex(vm.ramHpa);
  print(", image ");
  printHex(info.imageStart);
  print("-");
  printHex(info.imageEnd);
  print(", entry ");
  printHex(info.entry);
  print(", ");
  printDec(n);
  print(n == 1 ? " module, MBI at " : " modules, MBI at ");
  printHex(info.mbi);
  println("");
  if ((info.notes & MB_NOTE_VIDEO_IGNORED) != 0) {
    printVmPrefix(vm);
    println("note: the kernel asks for a video mode (header flags[2]); it gets none: its console is COM1");
  }
  pcVmPrintCmdline(vm, d);
  return 1;
}
