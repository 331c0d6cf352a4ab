// @ts-nocheck: AssemblyScript, compiled by asc (mk/loader-unit.mk), not by tsc.
// The loader unit-test wasm: thin exports over src/vmm/loader plus the EPT / frame-allocator
// set-up the tests need to give the loaders a real GuestMemory. Structures are passed as
// addresses in this module's linear memory, which also holds the "host" images and the host
// frames behind guest RAM (wasm address = host-physical address, as on bare metal).

import { IdentityPhys } from "../../src/ept/phys";
import { TableFrames } from "../../src/vmm/mem/table-frames";
import { Ept, eptInit, eptMap } from "../../src/ept/table";
import { GuestMemory, gmRead } from "../../src/ept/guest-memory";
import { frameAllocInit } from "../../src/vmm/mem/frames";
import { writeStandardReserved } from "../../src/vmm/mem/ranges";
import { E820Table, e820Build, E820_TABLE_BYTES } from "../../src/vmm/loader/e820";
import { BootState, BOOT_STATE_BYTES } from "../../src/vmm/loader/boot-state";
import { LinuxLoadParams, LinuxLoadInfo, linuxLoad, LINUX_LOAD_INFO_BYTES } from "../../src/vmm/loader/linux";

@inline function phys(p: usize): IdentityPhys { return changetype<IdentityPhys>(p); }
@inline function tf(p: usize): TableFrames { return changetype<TableFrames>(p); }

// ---------------------------------------------------------------- VM set-up (EPT, GuestMemory)
export function memStandardReserved(out: usize, imageEnd: u64): u32 { return writeStandardReserved(out, imageEnd); }
export function frameInit(usable: usize, nu: u32, reserved: usize, nr: u32, limit: u64): usize {
  return frameAllocInit(usable, nu, reserved, nr, limit);
}
export function eptNew(ept: usize, mem: usize, frames: usize, cap: u64): u32 {
  return eptInit<IdentityPhys, TableFrames>(changetype<Ept>(ept), phys(mem), tf(frames), cap);
}
export function eptMapRange(ept: usize, mem: usize, frames: usize, gpa: u64, hpa: u64, size: u64, perms: u64, mt: u32): u32 {
  return eptMap<IdentityPhys, TableFrames>(changetype<Ept>(ept), phys(mem), tf(frames), gpa, hpa, size, perms, mt);
}
export function gmReadBytes(gm: usize, mem: usize, gpa: u64, dst: usize, len: u64): u32 {
  return gmRead<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem), gpa, dst, len);
}

// ---------------------------------------------------------------- loader
export function e820TableBytes(): u32 { return <u32>E820_TABLE_BYTES; }
export function bootStateBytes(): u32 { return <u32>BOOT_STATE_BYTES; }
export function linuxInfoBytes(): u32 { return <u32>LINUX_LOAD_INFO_BYTES; }
export function e820Make(out: usize, ram: usize, nram: u32, res: usize, nres: u32): u32 {
  return e820Build(changetype<E820Table>(out), ram, nram, res, nres);
}
export function linux(gm: usize, mem: usize, params: usize, info: usize, state: usize): u32 {
  return linuxLoad<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem),
    changetype<LinuxLoadParams>(params), changetype<LinuxLoadInfo>(info), changetype<BootState>(state));
}

import { MbLoadParams, MbLoadInfo, multibootLoad, MB_LOAD_INFO_BYTES } from "../../src/vmm/loader/multiboot";
export function mbInfoBytes(): u32 { return <u32>MB_LOAD_INFO_BYTES; }
export function multiboot(gm: usize, mem: usize, params: usize, info: usize, state: usize): u32 {
  return multibootLoad<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem),
    changetype<MbLoadParams>(params), changetype<MbLoadInfo>(info), changetype<BootState>(state));
}

// ---------------------------------------------------------------- reason texts (console messages)
import { linuxStatusText } from "../../src/vmm/loader/linux";
import { multibootStatusText } from "../../src/vmm/loader/multiboot";
import { e820StatusText } from "../../src/vmm/loader/e820";
/** Copies the ASCII text `s` to `out`; returns its length. */
function copyText(s: string, out: usize): u32 {
  for (let i = 0; i < s.length; i++) store<u8>(out + <usize>i, <u8>s.charCodeAt(i));
  return <u32>s.length;
}
export function linuxReason(s: u32, out: usize): u32 { return copyText(linuxStatusText(s), out); }
export function multibootReason(s: u32, out: usize): u32 { return copyText(multibootStatusText(s), out); }
export function e820Reason(s: u32, out: usize): u32 { return copyText(e820StatusText(<u32>s), out); }
