// PCI host bridge with configuration mechanism #1 (PCI Local Bus Specification 3.0, §3.2.2.3.2
// "Software Generation of Configuration Transactions"): CONFIG_ADDRESS at 0xCF8 (dword only),
// CONFIG_DATA at 0xCFC-0xCFF (byte, word and dword accesses at the byte lanes addressed).
//
//   CONFIG_ADDRESS  31 | 30-24    | 23-16 | 15-11  | 10-8     | 7-2      | 1-0
//                   En | reserved | bus   | device | function | register | 00
//
// Bus 0 only: device 0 function 0 is the host bridge, the other slots come from a registry that
// device models (later virtio-pci) attach to; an empty slot, another bus, or a disabled address
// (bit 31 clear) reads all-ones (vendor 0xFFFF = "no device", §6.2.1) and drops writes, which is
// what a master abort returns to the CPU. Only dword accesses to 0xCF8 latch or return the
// address, as on the 82441FX (its 0xCFB byte register, configuration-mechanism select, is not
// modelled: Linux's pci_check_type1 writes it once and then tests the dword, which works).
// A data access that would cross the dword (e.g. a word at 0xCFF) reads all-ones / is dropped.
//
// Host bridge: Intel 82441FX PMC (i440FX, 8086:1237, revision 02, class 06 00 00; command 0006,
// status 0280 as in its data sheet §3.2). Chosen over Q35's 8086:29C0 because this platform is
// the PC/AT-style one: 8259 pair, ISA IRQ routing, no PCIe. Q35 implies MCH registers (PCIEXBAR
// for MMCONFIG, ICH9 LPC) that Linux then looks for; 440FX matches QEMU's "pc" machine that the
// reference trace (trace-ports-mmio-pc-noacpi.txt) was taken on. The bridge's chipset registers
// (PAM, SMRAM, DRAM rows at 0x50-0x7F) read 0 and ignore writes: a guest booted by the Linux boot
// protocol has no BIOS shadowing to program. No MMCONFIG (PCIe enhanced configuration) for now:
// mechanism #1 reaches all 256 bytes the type 0 header and capabilities need.
//
// State (PCI_HOST_SIZE bytes, caller-owned, 4-aligned): +0 address u32 (CONFIG_ADDRESS),
// +4 count u32 (attached functions), +8 slots[256] u32 (PciFunction* by devfn, 0 = empty).

import {
  PciFunction, pciFnInit, pciFnRead, pciFnWrite, pciFnSet, pciFnSetWritable, PCI_COMMAND, PCI_STATUS,
} from "./pci-function";

export const PCI_CONFIG_PORT: u32 = 0xCF8;
export const PCI_HOST_PORT_COUNT: u32 = 8;
export const PCI_HOST_SIZE: u32 = 8 + 256 * 4;
const SLOTS_OFF: usize = 8;
const ADDR_ENABLE: u32 = 0x80000000;
/** CONFIG_ADDRESS bits that hold state: enable, bus, device, function, register (§3.2.2.3.2). */
const ADDR_MASK: u32 = 0x80FFFFFC;

export const HOST_BRIDGE_VENDOR: u32 = 0x8086;
export const HOST_BRIDGE_DEVICE: u32 = 0x1237;

@unmanaged export class PciHost {
  address: u32;
  count: u32;
}

/** Slot of devfn `df`. Invariant: df masked to 0..255, inside slots[]. */
@inline function slotAt(h: PciHost, df: u32): usize {
  return changetype<usize>(h) + SLOTS_OFF + (<usize>(df & 0xFF) << 2);
}

/**
 * Empties the registry and attaches `bridge` (caller storage of PCI_FUNCTION_SIZE bytes),
 * initialised as the 82441FX, at 00:00.0.
 */
export function pciHostInit(h: PciHost, bridge: PciFunction): void {
  memory.fill(changetype<usize>(h), 0, PCI_HOST_SIZE);
  pciFnInit(bridge, HOST_BRIDGE_VENDOR, HOST_BRIDGE_DEVICE, 0x060000, 0x02);
  pciFnSet(bridge, PCI_COMMAND, 2, 0x0006);
  pciFnSetWritable(bridge, PCI_COMMAND, 2, 0); // the 82441FX hardwires memory + master enable
  pciFnSet(bridge, PCI_STATUS, 2, 0x0280);     // fast back-to-back capable, DEVSEL medium
  pciHostAttach(h, 0, 0, bridge);
}

/** Attaches `f` at bus 0 device `dev` (0-31) function `fn` (0-7); false if taken or invalid. */
export function pciHostAttach(h: PciHost, dev: u32, fn: u32, f: PciFunction): bool {
  if (dev > 31 || fn > 7 || changetype<usize>(f) == 0) return false;
  const s = slotAt(h, (dev << 3) | fn);
  if (load<u32>(s) != 0) return false;
  store<u32>(s, <u32>changetype<usize>(f));
  h.count++;
  return true;
}

/** The function at 00:dev.fn, or 0 when the slot is empty. */
export function pciHostFunction(h: PciHost, dev: u32, fn: u32): usize {
  if (dev > 31 || fn > 7) return 0;
  return <usize>load<u32>(slotAt(h, (dev << 3) | fn));
}

/** The function CONFIG_ADDRESS selects, or 0 (disabled, another bus, empty slot). */
function selected(h: PciHost): usize {
  const a = h.address;
  if ((a & ADDR_ENABLE) == 0 || ((a >> 16) & 0xFF) != 0) return 0;
  return <usize>load<u32>(slotAt(h, (a >> 8) & 0xFF));
}

@inline function sizeOk(size: u32): bool { return size == 1 || size == 2 || size == 4; }
@inline function ones(size: u32): u32 { return size >= 4 ? 0xFFFFFFFF : (<u32>1 << (size * 8)) - 1; }

/** IN from 0xCF8 + offset (offset 0-7). */
export function pciHostRead(h: PciHost, offset: u32, size: u32, now: u64): u32 {
  if (!sizeOk(size)) return 0xFFFFFFFF;
  if (offset < 4) return offset == 0 && size == 4 ? h.address : ones(size);
  const lane = offset - 4;
  if (lane + size > 4) return ones(size);
  const f = selected(h);
  if (f == 0) return ones(size);
  return pciFnRead(changetype<PciFunction>(f), (h.address & 0xFC) + lane, size);
}

/** OUT to 0xCF8 + offset (offset 0-7). */
export function pciHostWrite(h: PciHost, offset: u32, size: u32, value: u32, now: u64): void {
  if (!sizeOk(size)) return;
  if (offset < 4) {
    if (offset == 0 && size == 4) h.address = value & ADDR_MASK;
    return;
  }
  const lane = offset - 4;
  if (lane + size > 4) return;
  const f = selected(h);
  if (f == 0) return;
  pciFnWrite(changetype<PciFunction>(f), (h.address & 0xFC) + lane, size, value & ones(size));
}
