// Shared set-up of the Linux loader tests: the reference kernel in host memory, the standard VM
// (RAM + an ACPI region at its top + the IOAPIC/LAPIC windows), and a call of the loader.
import { expect } from "vitest";
import { guestLinux, parseSetupHeader } from "./bzimage.ts";
import {
  v, MiB, makeVm, buildE820, PARAMS, INFO, STATE, GM, PHYS, E820, HOST_KERNEL, HOST_INITRD, HOST_CMDLINE,
  E820_ACPI, E820_RESERVED, type E820Entry,
} from "./vm.ts";

export const guest = guestLinux();
export const hdr = parseSetupHeader(guest.vmlinuz);

export const ACPI_SIZE = 128 * 1024;
export const RSDP = 0x000e0000;   // the caller's choice; the loader only passes it on
export const DEVICE_WINDOWS: E820Entry[] = [
  { addr: 0xfec00000, size: 0x1000, type: E820_RESERVED },
  { addr: 0xfee00000, size: 0x1000, type: E820_RESERVED },
];

/** A VM of `ramBytes` with its ACPI tables in the last 128 KiB of RAM; returns that region. */
export function standardVm(ramBytes: number): E820Entry {
  makeVm(ramBytes);
  const acpi = { addr: Math.min(ramBytes, 0xc0000000) - ACPI_SIZE, size: ACPI_SIZE, type: E820_ACPI };
  expect(buildE820([[0, ramBytes]], [acpi, ...DEVICE_WINDOWS])).toBe(0);
  return acpi;
}

/** Puts the images in host memory; `kernel` defaults to the reference vmlinuz. */
export function stage(kernel: Uint8Array = guest.vmlinuz, initrd: Uint8Array = guest.initrd, cmdline: Uint8Array = guest.cmdline): void {
  v.bytes.set(kernel, HOST_KERNEL);
  v.bytes.set(initrd, HOST_INITRD);
  v.bytes.set(cmdline, HOST_CMDLINE);
  setParams(kernel.length, initrd.length, cmdline.length);
}
export function setParams(kernelLen: number, initrdLen: number, cmdlineLen: number, rsdp = RSDP): void {
  const q = (o: number, x: number): void => v.mem.setBigUint64(PARAMS + o, BigInt(x), true);
  q(0, HOST_KERNEL); q(8, kernelLen);
  q(16, HOST_INITRD); q(24, initrdLen);
  q(32, HOST_CMDLINE); q(40, cmdlineLen);
  q(48, rsdp);
  v.mem.setUint32(PARAMS + 56, E820, true);
}

export interface Info {
  kernel: number; kernelBytes: number; initSize: number; initrd: number; initrdBytes: number;
  zeroPage: number; cmdline: number; cmdlineBytes: number; cr3: number; detail: bigint;
  protocol: number; e820Count: number; gmStatus: number;
}
export function load(): [number, Info] {
  const st = v.u32("linux", GM, PHYS, PARAMS, INFO, STATE);
  const q = (o: number): number => Number(v.mem.getBigUint64(INFO + o, true));
  return [st, {
    kernel: q(0), kernelBytes: q(8), initSize: q(16), initrd: q(24), initrdBytes: q(32), zeroPage: q(40),
    cmdline: q(48), cmdlineBytes: q(56), cr3: q(64), detail: v.mem.getBigUint64(INFO + 72, true),
    protocol: v.mem.getUint32(INFO + 80, true), e820Count: v.mem.getUint32(INFO + 84, true),
    gmStatus: v.mem.getUint32(INFO + 88, true),
  }];
}

// LinuxStatus / HeaderStatus values (src/vmm/loader/linux.ts, linux-header.ts).
export const S = {
  OK: 0, TRUNCATED_HEADER: 1, BAD_BOOT_FLAG: 2, BAD_MAGIC: 3, OLD_PROTOCOL: 4, BAD_HEADER_LENGTH: 5,
  NOT_64BIT: 6, NOT_BZIMAGE: 7, BAD_SETUP_SECTS: 8, BAD_SYSSIZE: 9, TRUNCATED_KERNEL: 10, BAD_PAYLOAD: 11,
  BAD_ALIGNMENT: 12, BAD_PREF_ADDRESS: 13, BAD_INIT_SIZE: 14,
  BAD_ARGUMENT: 20, BAD_MEMORY_MAP: 21, LOW_MEMORY_NOT_RAM: 22, CMDLINE_TOO_LONG: 23, KERNEL_NO_ROOM: 24,
  INITRD_TOO_BIG: 25, GUEST_WRITE_FAILED: 26,
} as const;
export { MiB };
