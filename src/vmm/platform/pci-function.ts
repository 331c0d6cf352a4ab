// One PCI function's 256-byte configuration space (PCI Local Bus Specification 3.0, §6.1
// "Configuration Space Organization", type 0 header Figure 6-1), with per-bit write masks so the
// guest can change only what the spec makes writable:
//   - wmask: bits a configuration write may change (read-only bits keep their value);
//   - w1cmask: bits a write of 1 clears (Status register error bits, §6.2.3).
// BAR sizing (§6.2.5.1): a BAR's wmask covers only its address bits above the decoded size, so
// writing all-ones reads back ~(size - 1) with the type bits, which is how software sizes it.
// Device models (the host bridge, later virtio-pci) fill the space with pciFn* setters, then
// attach the function to the host's registry (pci-host.ts).
//
//   offset  31            16 15             0
//   0x00    Device ID        Vendor ID
//   0x04    Status           Command
//   0x08    Class code (24)           | Revision ID
//   0x0C    BIST | Header type | Latency timer | Cache line size
//   0x10-0x24  Base address registers 0-5
//   0x2C    Subsystem ID     Subsystem vendor ID
//   0x30    Expansion ROM base address
//   0x34    (reserved)                 | Capabilities pointer
//   0x3C    Max_Lat | Min_Gnt | Interrupt pin | Interrupt line
//
// State (PCI_FUNCTION_SIZE bytes, caller-owned, 4-aligned): +0 config[256], +256 wmask[256],
// +512 w1cmask[256], +768 generation u32 (bumped whenever Command, a BAR or the ROM BAR changes,
// so the VMM knows to re-map the function's resources), +772 pad.

export const PCI_FUNCTION_SIZE: u32 = 784;
const CONFIG_BYTES: u32 = 256;
const WMASK_OFF: usize = 256;
const W1C_OFF: usize = 512;
const GEN_OFF: usize = 768;

export const PCI_VENDOR_ID: u32 = 0x00;
export const PCI_COMMAND: u32 = 0x04;
export const PCI_STATUS: u32 = 0x06;
export const PCI_REVISION: u32 = 0x08;
export const PCI_HEADER_TYPE: u32 = 0x0E;
export const PCI_BAR0: u32 = 0x10;
export const PCI_SUBSYSTEM_VENDOR: u32 = 0x2C;
export const PCI_ROM_BAR: u32 = 0x30;
export const PCI_CAP_PTR: u32 = 0x34;
export const PCI_INTERRUPT_LINE: u32 = 0x3C;
export const PCI_INTERRUPT_PIN: u32 = 0x3D;

/** Command bits a type 0 function lets software set (§6.2.2): I/O, memory, bus master, parity
 *  error response, SERR# enable, interrupt disable. */
export const PCI_COMMAND_WRITABLE: u32 = 0x0547;
/** Status error bits, write-1-to-clear (§6.2.3): bits 8 and 11-15. */
const PCI_STATUS_W1C: u32 = 0xF900;

export const enum PciBarKind {
  /** I/O space BAR (bit 0 = 1). */
  IO = 0,
  /** 32-bit memory BAR. */
  MEM32 = 1,
  /** 64-bit memory BAR: uses this BAR and the next one for the upper half. */
  MEM64 = 2,
}

/** The header's first 12 bytes by name; the rest of config, the masks and `generation` are
 *  reached through the accessors below. */
@unmanaged export class PciFunction {
  vendorId: u16;
  deviceId: u16;
  command: u16;
  status: u16;
  revision: u8;
  progIf: u8;
  subclass: u8;
  baseClass: u8;
}

/** Config byte `off`. Invariant: masked to 0..255, inside config[]. */
@inline function cfgAt(f: PciFunction, off: u32): usize { return changetype<usize>(f) + <usize>(off & 0xFF); }
@inline function wmaskAt(f: PciFunction, off: u32): usize { return changetype<usize>(f) + WMASK_OFF + <usize>(off & 0xFF); }
@inline function w1cAt(f: PciFunction, off: u32): usize { return changetype<usize>(f) + W1C_OFF + <usize>(off & 0xFF); }
@inline function genAt(f: PciFunction): usize { return changetype<usize>(f) + GEN_OFF; }

/** Sets `size` (1, 2, 4) bytes of config space from the device side (ignores the masks). */
export function pciFnSet(f: PciFunction, off: u32, size: u32, value: u32): void {
  for (let i: u32 = 0; i < size && off + i < CONFIG_BYTES; i++) store<u8>(cfgAt(f, off + i), <u8>(value >> (i * 8)));
}

/** Sets which bits of `size` bytes at `off` the guest may write. */
export function pciFnSetWritable(f: PciFunction, off: u32, size: u32, mask: u32): void {
  for (let i: u32 = 0; i < size && off + i < CONFIG_BYTES; i++) store<u8>(wmaskAt(f, off + i), <u8>(mask >> (i * 8)));
}

/** Sets which bits of `size` bytes at `off` are write-1-to-clear. */
export function pciFnSetW1c(f: PciFunction, off: u32, size: u32, mask: u32): void {
  for (let i: u32 = 0; i < size && off + i < CONFIG_BYTES; i++) store<u8>(w1cAt(f, off + i), <u8>(mask >> (i * 8)));
}

/**
 * A type 0 header: IDs, class code (base << 16 | sub << 8 | prog-if), revision; Command (all 0)
 * with its standard writable bits, Status error bits W1C, cache line size, latency timer and
 * interrupt line writable; everything else read-only 0 until the device sets it.
 */
export function pciFnInit(f: PciFunction, vendor: u32, device: u32, classCode: u32, revision: u32): void {
  memory.fill(changetype<usize>(f), 0, PCI_FUNCTION_SIZE);
  pciFnSet(f, PCI_VENDOR_ID, 2, vendor);
  pciFnSet(f, PCI_VENDOR_ID + 2, 2, device);
  pciFnSet(f, PCI_REVISION, 1, revision);
  pciFnSet(f, PCI_REVISION + 1, 3, classCode);
  pciFnSetWritable(f, PCI_COMMAND, 2, PCI_COMMAND_WRITABLE);
  pciFnSetW1c(f, PCI_STATUS, 2, PCI_STATUS_W1C);
  pciFnSetWritable(f, 0x0C, 2, 0xFFFF); // cache line size, latency timer (§6.2.4)
  pciFnSetWritable(f, PCI_INTERRUPT_LINE, 1, 0xFF);
}

/**
 * Declares BAR `bar` (0-5) of `size` bytes (a power of two; ≥ 16 for memory, ≥ 4 for I/O, as
 * §6.2.5.1 requires). `prefetchable` applies to memory BARs. False (and nothing changed) for an
 * invalid request, e.g. a 64-bit BAR at index 5.
 */
export function pciFnSetBar(f: PciFunction, bar: u32, kind: PciBarKind, size: u64, prefetchable: bool): bool {
  if (bar > 5 || size == 0 || (size & (size - 1)) != 0) return false;
  const off = PCI_BAR0 + bar * 4;
  if (kind == PciBarKind.IO) {
    if (size < 4 || size > 0x10000) return false;
    pciFnSet(f, off, 4, 0x1);
    pciFnSetWritable(f, off, 4, ~(<u32>size - 1) & 0xFFFFFFFC);
    return true;
  }
  const pf: u32 = prefetchable ? 0x8 : 0;
  if (kind == PciBarKind.MEM32) {
    if (size < 16 || size > 0x80000000) return false;
    pciFnSet(f, off, 4, pf);
    pciFnSetWritable(f, off, 4, ~(<u32>size - 1) & 0xFFFFFFF0);
    return true;
  }
  if (bar == 5 || size < 16) return false;
  const mask = ~(size - 1);
  pciFnSet(f, off, 4, 0x4 | pf);
  pciFnSetWritable(f, off, 4, <u32>mask & 0xFFFFFFF0);
  pciFnSet(f, off + 4, 4, 0);
  pciFnSetWritable(f, off + 4, 4, <u32>(mask >> 32));
  return true;
}

/** Reads `size` bytes at `off` (little-endian); bytes beyond 255 read as 0xFF. */
export function pciFnRead(f: PciFunction, off: u32, size: u32): u32 {
  let v: u32 = 0;
  for (let i: u32 = 0; i < size && i < 4; i++) {
    const o = off + i;
    v |= (o < CONFIG_BYTES ? <u32>load<u8>(cfgAt(f, o)) : 0xFF) << (i * 8);
  }
  return v;
}

/** Whether config byte `o` belongs to Command, a BAR or the ROM BAR (resource-defining). */
@inline function resourceByte(o: u32): bool {
  return o == 4 || o == 5 || (o >= PCI_BAR0 && o < PCI_BAR0 + 24) || (o >= PCI_ROM_BAR && o < PCI_ROM_BAR + 4);
}

/** A guest configuration write: only writable bits change, W1C bits clear where 1 is written. */
export function pciFnWrite(f: PciFunction, off: u32, size: u32, value: u32): void {
  let changed = false;
  for (let i: u32 = 0; i < size && i < 4; i++) {
    const o = off + i;
    if (o >= CONFIG_BYTES) break;
    const v = (value >> (i * 8)) & 0xFF;
    const old = <u32>load<u8>(cfgAt(f, o));
    const wm = <u32>load<u8>(wmaskAt(f, o));
    const w1c = <u32>load<u8>(w1cAt(f, o));
    const nv = ((old & ~wm) | (v & wm)) & ~(v & w1c);
    store<u8>(cfgAt(f, o), <u8>nv);
    if (nv != old && resourceByte(o)) changed = true;
  }
  if (changed) store<u32>(genAt(f), load<u32>(genAt(f)) + 1);
}

/** Counter bumped by every guest change to Command or a BAR. */
export function pciFnGeneration(f: PciFunction): u32 { return load<u32>(genAt(f)); }

/** The base address BAR `bar` decodes now (type bits stripped; 64-bit BARs combined). */
export function pciFnBarAddress(f: PciFunction, bar: u32): u64 {
  if (bar > 5) return 0;
  const lo = pciFnRead(f, PCI_BAR0 + bar * 4, 4);
  if ((lo & 1) != 0) return <u64>(lo & 0xFFFFFFFC);
  if ((lo & 0x6) == 0x4 && bar < 5) {
    return (<u64>pciFnRead(f, PCI_BAR0 + bar * 4 + 4, 4) << 32) | <u64>(lo & 0xFFFFFFF0);
  }
  return <u64>(lo & 0xFFFFFFF0);
}
