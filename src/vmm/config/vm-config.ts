// VM definitions from the boot loader's modules (docs/vm-config.md). A VM is declared by a
// multiboot2 module whose string starts with its kind, followed by the modules that belong to it:
//
//   module2 /boot/vmlinuz    linux name=linux mem=256 -- console=ttyS0 quiet
//   module2 /boot/initrd.img initrd
//
//   module2 /boot/kernel.elf multiboot name=mb mem=32 -- the kernel's command line
//   module2 /boot/data.bin   module -- the module's string
//
// `linux`: a bzImage (Linux boot protocol) with at most one `initrd` after it. `multiboot`: a
// Multiboot 0.6.96 kernel (src/vmm/loader/multiboot.ts) with zero or more `module` lines after
// it, which become its multiboot modules in that order (§3.3: mod_start, mod_end and the
// module's "string", here the text after `--`).
//
// Multiboot2 §3.6.6 (tag type 3): mod_start, mod_end (physical, exclusive end) and a
// NUL-terminated string, which GRUB fills with the words after the file name. The string is
// untrusted input: every byte is bounded by the tag's own size, every option is checked, and a VM
// whose definition is wrong is refused with `VM config: module N: …; VM not created` — the other
// VMs (and the embedded test guests) are unaffected.
//
// Pure: reads only the information block (already bounds-checked by src/vmm/boot/multiboot2.ts)
// and writes the static tables below. Nothing here touches `hw`.

import { print, printDec, println, putChar } from "../console/print";
import { isNameChar, skipSpaces, wordEnd, wordIs, startsWith, copyRest } from "./words";

export const MAX_DECLS: u32 = 4;
/** VM names: 1..15 bytes of [a-z0-9_-] (they prefix every console line: `[NAME] `). */
export const NAME_MAX: u32 = 15;
/** Guest RAM bounds in MiB: 2 MiB pages; below the 3 GiB PCI/APIC window (see linux-vm.ts). */
export const MEM_MIN_MIB: u32 = 32;
export const MEM_MAX_MIB: u32 = 2048;
export const MEM_DEFAULT_MIB: u32 = 256;
/** The kernel command line we copy (the loader re-checks it against the kernel's cmdline_size). */
export const CMDLINE_MAX: u32 = 1024;
/** A multiboot module's string (the text after `--` of its `module` line). */
export const MOD_STRING_MAX: u32 = 255;
/** Modules beyond this many are not protected from the frame allocator (src/vmm/host-ram.ts). */
export const MAX_MODULES: u32 = 8;
const MB2_TAG_MODULE: u32 = 3;
const MB2_TAG_END: u32 = 0;

export const enum VmKind {
  /** Linux 64-bit boot protocol (src/vmm/linux-vm.ts). */
  LINUX = 0,
  /** Multiboot 0.6.96 (src/vmm/multiboot-vm.ts). */
  MULTIBOOT = 1,
}

/**
 * One declared VM (DECL_SIZE bytes, static):
 *   0 kernel  8 kernelLen  16 initrd  24 initrdLen (0 = none)  32 memMiB  36 valid (1 ok, 0 refused)
 *   40 module (index of its kernel module)  44 cmdlineLen  48 kind (VmKind)
 *   52 modFirst (vmModuleAt index of its first multiboot module)  56 modCount  60 _pad
 *   64 name (16 bytes, NUL-terminated)  80 cmdline (CMDLINE_MAX + 1 bytes, NUL-terminated)
 */
@unmanaged export class VmDecl {
  kernel: u64;
  kernelLen: u64;
  initrd: u64;
  initrdLen: u64;
  memMiB: u32;
  valid: u32;
  module: u32;
  cmdlineLen: u32;
  kind: u32;
  modFirst: u32;
  modCount: u32;
  _pad: u32;
}
const OFF_NAME: usize = 64;
const OFF_CMDLINE: usize = 80;
const DECL_SIZE: u32 = 80 + CMDLINE_MAX + 16;

/**
 * A multiboot module of a `multiboot` VM (MOD_SIZE bytes, static, indexed by boot-module number
 * − 1, so a VM's modules are consecutive records): 0 start  8 len (host-physical extent)
 *   16 strLen  20 _pad  24 string (MOD_STRING_MAX + 1 bytes, NUL-terminated)
 */
@unmanaged export class VmModule {
  start: u64;
  len: u64;
  strLen: u32;
  _pad: u32;
}
const MOD_OFF_STRING: usize = 24;
const MOD_SIZE: u32 = 24 + MOD_STRING_MAX + 1;

const DECLS: usize = memory.data(<i32>(MAX_DECLS * DECL_SIZE), 16);
const MODS: usize = memory.data(<i32>(MAX_MODULES * MOD_SIZE), 8);
let declCount: u32 = 0;
let moduleCount: u32 = 0;

/** Boot modules seen by the last parse (declarations or not). */
export function vmConfigModuleCount(): u32 { return moduleCount; }

export function vmDeclCount(): u32 { return declCount; }
/** Declaration `i`. Invariant: i < vmDeclCount() (≤ MAX_DECLS). */
export function vmDeclAt(i: u32): VmDecl { return changetype<VmDecl>(DECLS + <usize>(i % MAX_DECLS) * DECL_SIZE); }
export function vmDeclName(d: VmDecl): usize { return changetype<usize>(d) + OFF_NAME; }
export function vmDeclCmdline(d: VmDecl): usize { return changetype<usize>(d) + OFF_CMDLINE; }
/** Multiboot module `i` of `d`. Invariant: i < d.modCount (the records stay inside MODS). */
export function vmDeclModule(d: VmDecl, i: u32): VmModule { return vmModuleAt(d.modFirst + i); }
function vmModuleAt(i: u32): VmModule { return changetype<VmModule>(MODS + <usize>(i % MAX_MODULES) * MOD_SIZE); }
export function vmModuleString(m: VmModule): usize { return changetype<usize>(m) + MOD_OFF_STRING; }

export const enum CfgError {
  OK = 0,
  UNKNOWN_KIND = 1,
  EMPTY_MODULE = 2,
  TOO_MANY_VMS = 3,
  BAD_NAME = 4,
  DUP_NAME = 5,
  BAD_MEM = 6,
  UNKNOWN_OPTION = 7,
  DUP_OPTION = 8,
  CMDLINE_TOO_LONG = 9,
  INITRD_WITHOUT_LINUX = 10,
  SECOND_INITRD = 11,
  INITRD_ARGS = 12,
  NO_NAME = 13,
  UNTERMINATED = 14,
  TOO_MANY_MODULES = 15,
  MODULE_WITHOUT_MULTIBOOT = 16,
  MODULE_ARGS = 17,
  MODULE_STRING_TOO_LONG = 18,
  BAD_EXTENT = 19,
  INITRD_FOR_MULTIBOOT = 20,
  MODULE_FOR_LINUX = 21,
}

export function cfgErrorText(e: CfgError): string {
  switch (e) {
    case CfgError.UNKNOWN_KIND: return "the first word must be `linux`, `initrd`, `multiboot` or `module`";
    case CfgError.EMPTY_MODULE: return "the module is empty (mod_end <= mod_start)";
    case CfgError.TOO_MANY_VMS: return "too many VMs declared (at most 4)";
    case CfgError.BAD_NAME: return "name= must be 1-15 characters of a-z 0-9 _ -";
    case CfgError.DUP_NAME: return "another VM already has this name";
    case CfgError.BAD_MEM: return "mem= must be a decimal number of MiB, even, 32..2048";
    case CfgError.UNKNOWN_OPTION: return "unknown option (known: name=, mem=; the kernel's command line follows --)";
    case CfgError.DUP_OPTION: return "option given twice";
    case CfgError.CMDLINE_TOO_LONG: return "kernel command line longer than 1024 bytes";
    case CfgError.INITRD_WITHOUT_LINUX: return "initrd module without a preceding valid linux module";
    case CfgError.SECOND_INITRD: return "second initrd for the same VM";
    case CfgError.INITRD_ARGS: return "initrd takes no options";
    case CfgError.NO_NAME: return "name= is required";
    case CfgError.UNTERMINATED: return "module string is not NUL-terminated inside its tag";
    case CfgError.TOO_MANY_MODULES: return "more than 8 boot modules (the VM it belongs to is not created)";
    case CfgError.MODULE_WITHOUT_MULTIBOOT: return "module without a preceding valid multiboot module";
    case CfgError.MODULE_ARGS: return "module takes no options (its string follows --)";
    case CfgError.MODULE_STRING_TOO_LONG: return "module string longer than 255 bytes";
    case CfgError.BAD_EXTENT: return "the module ends before it starts (mod_end < mod_start)";
    case CfgError.INITRD_FOR_MULTIBOOT: return "initrd after a multiboot module (a multiboot VM's modules are `module` lines)";
    case CfgError.MODULE_FOR_LINUX: return "module after a linux module (a Linux VM takes one `initrd`)";
  }
  return "ok";
}

/** Parses the `linux …` / `multiboot …` options at [p, end) into `d`. */
function parseKernel(d: VmDecl, p: usize, end: usize): CfgError {
  let haveName = false;
  let haveMem = false;
  d.memMiB = MEM_DEFAULT_MIB;
  store<u8>(vmDeclCmdline(d), 0);
  d.cmdlineLen = 0;
  while (true) {
    p = skipSpaces(p, end);
    if (p >= end) break;
    const e = wordEnd(p, end);
    if (wordIs(p, e, "--")) {
      const n = copyRest(e, end, vmDeclCmdline(d), CMDLINE_MAX);
      if (n < 0) return CfgError.CMDLINE_TOO_LONG;
      d.cmdlineLen = <u32>n;
      break;
    }
    if (startsWith(p, e, "name=")) {
      if (haveName) return CfgError.DUP_OPTION;
      const v = p + 5;
      const n = e - v;
      if (n == 0 || n > <usize>NAME_MAX) return CfgError.BAD_NAME;
      for (let i: usize = 0; i < n; i++) if (!isNameChar(<u32>load<u8>(v + i))) return CfgError.BAD_NAME;
      memory.copy(vmDeclName(d), v, n);
      store<u8>(vmDeclName(d) + n, 0);
      haveName = true;
    } else if (startsWith(p, e, "mem=")) {
      if (haveMem) return CfgError.DUP_OPTION;
      const v = p + 4;
      const n = e - v;
      if (n == 0 || n > 5) return CfgError.BAD_MEM;
      let m: u32 = 0;
      for (let i: usize = 0; i < n; i++) {
        const c = <u32>load<u8>(v + i);
        if (c < 0x30 || c > 0x39) return CfgError.BAD_MEM;
        m = m * 10 + (c - 0x30);
      }
      if (m < MEM_MIN_MIB || m > MEM_MAX_MIB || (m & 1) != 0) return CfgError.BAD_MEM;
      d.memMiB = m;
      haveMem = true;
    } else {
      return CfgError.UNKNOWN_OPTION;
    }
    p = e;
  }
  return haveName ? CfgError.OK : CfgError.NO_NAME;
}

/** Whether a valid declaration other than `self` has the same name. */
function nameTaken(self: u32): bool {
  const a = vmDeclName(vmDeclAt(self));
  for (let i: u32 = 0; i < declCount; i++) {
    if (i == self || vmDeclAt(i).valid == 0) continue;
    const b = vmDeclName(vmDeclAt(i));
    let same = true;
    for (let k: usize = 0; k <= <usize>NAME_MAX; k++) {
      const x = load<u8>(a + k);
      if (x != load<u8>(b + k)) { same = false; break; }
      if (x == 0) break;
    }
    if (same) return true;
  }
  return false;
}

/** `VM config: module N (`STRING`): REASON; VM not created` (the string printed bounded). */
function report(module: u32, s: usize, end: usize, e: CfgError, what: string): void {
  print("VM config: module ");
  printDec(module);
  print(" (`");
  for (let p = s; p < end && p - s < 80; p++) {
    const c = <u32>load<u8>(p);
    putChar(c >= 0x20 && c < 0x7F ? c : 0x3F);
  }
  print("`): ");
  print(cfgErrorText(e));
  print("; ");
  println(what);
}

/** Drops the last declaration (`last` is always declCount − 1, or -1 for none). */
function dropLast(last: i32): void {
  if (last < 0) return;
  vmDeclAt(<u32>last).valid = 0;
  declCount--;
}

/** Module `module` [s, z) makes the definition of VM `last` wrong as a whole: reports it and
 *  drops that VM. Returns -1 (no VM for the next initrd / module to attach to). */
function refuseLast(last: i32, module: u32, s: usize, z: usize, e: CfgError): i32 {
  report(module, s, z, e, "VM not created");
  dropLast(last);
  return -1;
}

/** A `linux` or `multiboot` module: a new declaration. Returns its index, or -1 when refused. */
function declare(kind: VmKind, module: u32, s: usize, w1: usize, z: usize, start: u64, endAddr: u64): i32 {
  if (declCount >= MAX_DECLS) { report(module, s, z, CfgError.TOO_MANY_VMS, "VM not created"); return -1; }
  if (endAddr <= start) { report(module, s, z, CfgError.EMPTY_MODULE, "VM not created"); return -1; }
  const d = vmDeclAt(declCount);
  memory.fill(changetype<usize>(d), 0, DECL_SIZE);
  d.kernel = start;
  d.kernelLen = endAddr - start;
  d.module = module;
  d.kind = kind;
  let e = parseKernel(d, w1, z);
  if (e == CfgError.OK && nameTaken(declCount)) e = CfgError.DUP_NAME;
  if (e != CfgError.OK) { report(module, s, z, e, "VM not created"); return -1; }
  d.valid = 1;
  declCount++;
  return <i32>(declCount - 1);
}

/** An `initrd` module for declaration `last`. Returns what the next module attaches to. */
function attachInitrd(last: i32, module: u32, s: usize, w1: usize, z: usize, start: u64, endAddr: u64): i32 {
  if (last < 0) { report(module, s, z, CfgError.INITRD_WITHOUT_LINUX, "module ignored"); return -1; }
  const d = vmDeclAt(<u32>last);
  let e = CfgError.OK;
  if (d.kind != VmKind.LINUX) e = CfgError.INITRD_FOR_MULTIBOOT;
  else if (skipSpaces(w1, z) != z) e = CfgError.INITRD_ARGS;
  else if (d.initrdLen != 0) e = CfgError.SECOND_INITRD;
  else if (endAddr <= start) e = CfgError.EMPTY_MODULE;
  // Refuse the VM rather than boot it without the initrd the configuration meant to give it.
  if (e != CfgError.OK) return refuseLast(last, module, s, z, e);
  d.initrd = start;
  d.initrdLen = endAddr - start;
  return last;
}

/**
 * A `module [-- STRING]` module for declaration `last`: multiboot module record `module − 1`
 * (module ≤ MAX_MODULES, checked by the caller). A zero-length module is allowed (§3.3 only
 * requires mod_end ≥ mod_start). Returns what the next module attaches to.
 */
function attachModule(last: i32, module: u32, s: usize, w1: usize, z: usize, start: u64, endAddr: u64): i32 {
  if (last < 0) { report(module, s, z, CfgError.MODULE_WITHOUT_MULTIBOOT, "module ignored"); return -1; }
  const d = vmDeclAt(<u32>last);
  const m = vmModuleAt(module - 1);
  let e = CfgError.OK;
  const p = skipSpaces(w1, z);
  const pe = wordEnd(p, z);
  if (d.kind != VmKind.MULTIBOOT) e = CfgError.MODULE_FOR_LINUX;
  else if (p != z && !wordIs(p, pe, "--")) e = CfgError.MODULE_ARGS;
  else if (endAddr < start) e = CfgError.BAD_EXTENT;
  else {
    memory.fill(changetype<usize>(m), 0, MOD_SIZE);
    if (p != z) {
      const n = copyRest(pe, z, vmModuleString(m), MOD_STRING_MAX);
      if (n < 0) e = CfgError.MODULE_STRING_TOO_LONG;
      else m.strLen = <u32>n;
    }
  }
  if (e != CfgError.OK) return refuseLast(last, module, s, z, e);
  m.start = start;
  m.len = endAddr - start;
  if (d.modCount == 0) d.modFirst = module - 1;
  d.modCount++;
  return last;
}

/** Whether the module string [s, z) belongs to the VM before it (`initrd` or `module`). */
function isAttachment(s: usize, z: usize): bool {
  const w0 = skipSpaces(s, z);
  const w1 = wordEnd(w0, z);
  return wordIs(w0, w1, "initrd") || wordIs(w0, w1, "module");
}

/** One module string [s, z) (NUL at z). Returns the declaration the next module attaches to. */
function parseModule(last: i32, module: u32, s: usize, z: usize, start: u64, endAddr: u64): i32 {
  const w0 = skipSpaces(s, z);
  const w1 = wordEnd(w0, z);
  if (wordIs(w0, w1, "linux")) return declare(VmKind.LINUX, module, s, w1, z, start, endAddr);
  if (wordIs(w0, w1, "multiboot")) return declare(VmKind.MULTIBOOT, module, s, w1, z, start, endAddr);
  if (wordIs(w0, w1, "initrd")) return attachInitrd(last, module, s, w1, z, start, endAddr);
  if (wordIs(w0, w1, "module")) return attachModule(last, module, s, w1, z, start, endAddr);
  report(module, s, z, CfgError.UNKNOWN_KIND, "module ignored");
  return -1;
}

/**
 * Walks the multiboot2 block at `info` (total size at +0, tags from +8, 8-aligned) and records
 * every VM declaration. Every module must be part of a declaration (a stray module is most
 * likely a typo in the boot configuration), so any other first word is reported. Returns the
 * number of valid declarations.
 */
export function parseVmConfigMb2(info: usize): u32 {
  declCount = 0;
  moduleCount = 0;
  const total = load<u32>(info);
  let off: u32 = 8;
  let module: u32 = 0;
  let last: i32 = -1; // the declaration the next initrd / module attaches to
  while (off + 8 <= total) {
    const type = load<u32>(info + off);
    const size = load<u32>(info + off + 4);
    if (type == MB2_TAG_END || size < 8 || size > total - off) break;
    if (type == MB2_TAG_MODULE && size >= 17) {
      module++;
      moduleCount = module;
      const start = <u64>load<u32>(info + off + 8);
      const endAddr = <u64>load<u32>(info + off + 12);
      const s = info + off + 16;
      const tagEnd = info + off + size;
      let z = s;
      while (z < tagEnd && load<u8>(z) != 0) z++;
      if (z >= tagEnd) {
        report(module, s, tagEnd, CfgError.UNTERMINATED, "module ignored");
        last = -1;
      } else if (module > MAX_MODULES) {
        report(module, s, z, CfgError.TOO_MANY_MODULES, "module ignored");
        if (isAttachment(s, z)) dropLast(last);
        last = -1;
      } else {
        last = parseModule(last, module, s, z, start, endAddr);
      }
    }
    off += (size + 7) & ~7;
  }
  return declCount;
}

/** Host-physical extent of module `i` of the block (for the frame allocator); false when none. */
export function mb2ModuleExtent(info: usize, index: u32, out: usize): bool {
  const total = load<u32>(info);
  let off: u32 = 8;
  let n: u32 = 0;
  while (off + 8 <= total) {
    const type = load<u32>(info + off);
    const size = load<u32>(info + off + 4);
    if (type == MB2_TAG_END || size < 8 || size > total - off) break;
    if (type == MB2_TAG_MODULE && size >= 16) {
      if (n == index) {
        store<u64>(out, <u64>load<u32>(info + off + 8));
        store<u64>(out + 8, <u64>load<u32>(info + off + 12));
        return true;
      }
      n++;
    }
    off += (size + 7) & ~7;
  }
  return false;
}
