// Test entry for the VM definition parser (src/vmm/config/vm-config.ts), built alone by asc
// (mk/linux.mk). The test writes a multiboot2 information block into this module's memory at
// INFO and reads the declarations back; console lines go out through the `hw` imports (outb
// to COM1), which the test captures.

import {
  parseVmConfigMb2, vmConfigModuleCount, vmDeclCount, vmDeclAt, vmDeclName, vmDeclCmdline, mb2ModuleExtent,
  vmDeclModule, vmModuleString,
} from "../../src/vmm/config/vm-config";

/** Where the test puts the information block (64 KiB into memory, 64 KiB long). */
export const INFO: u32 = 0x10000;
const CELL: usize = memory.data(16, 8);

export function parse(): u32 { return parseVmConfigMb2(<usize>INFO); }
export function modules(): u32 { return vmConfigModuleCount(); }
export function decls(): u32 { return vmDeclCount(); }
export function declKernel(i: u32): u64 { return vmDeclAt(i).kernel; }
export function declKernelLen(i: u32): u64 { return vmDeclAt(i).kernelLen; }
export function declInitrd(i: u32): u64 { return vmDeclAt(i).initrd; }
export function declInitrdLen(i: u32): u64 { return vmDeclAt(i).initrdLen; }
export function declMem(i: u32): u32 { return vmDeclAt(i).memMiB; }
export function declName(i: u32): usize { return vmDeclName(vmDeclAt(i)); }
export function declCmdline(i: u32): usize { return vmDeclCmdline(vmDeclAt(i)); }
export function declCmdlineLen(i: u32): u32 { return vmDeclAt(i).cmdlineLen; }
export function extentStart(i: u32): u64 { return mb2ModuleExtent(<usize>INFO, i, CELL) ? load<u64>(CELL) : u64.MAX_VALUE; }
export function extentEnd(i: u32): u64 { return mb2ModuleExtent(<usize>INFO, i, CELL) ? load<u64>(CELL + 8) : u64.MAX_VALUE; }
export function declKind(i: u32): u32 { return vmDeclAt(i).kind; }
export function declModCount(i: u32): u32 { return vmDeclAt(i).modCount; }
/** Multiboot module `k` of declaration `i` (k < declModCount(i)). */
export function declModStart(i: u32, k: u32): u64 { return vmDeclModule(vmDeclAt(i), k).start; }
export function declModLen(i: u32, k: u32): u64 { return vmDeclModule(vmDeclAt(i), k).len; }
export function declModString(i: u32, k: u32): usize { return vmModuleString(vmDeclModule(vmDeclAt(i), k)); }
export function declModStringLen(i: u32, k: u32): u32 { return vmDeclModule(vmDeclAt(i), k).strLen; }
