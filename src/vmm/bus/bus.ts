// An address-range bus: the registry that maps a guest I/O-port or guest-physical (MMIO) address
// to the device model that answers it. One implementation serves both address spaces; the port bus
// has limit 0x10000 (SDM Vol 1 §18.3: 64 K 8-bit ports), the MMIO bus the guest-physical space.
// Pure data: dispatch to device models lives in src/vmm/devices/dispatch.ts (this file knows no
// devices, so the dependency points one way).
//
// Caller-owned storage, no allocation:
//   Bus (24 bytes):      +0 ranges (BusRange*)  +4 capacity (u32)  +8 count (u32)
//                        +12 index (u32): 0, or a `limit`-byte table (busAttachIndex)
//                        +16 limit (u64): addresses are < limit
//   BusRange (24 bytes): +0 base (u64)  +8 length (u64)  +16 device (u32)  +20 ctx (u32: the
//                        device instance, a wasm address)
// Ranges never overlap (registration refuses it), so the first match is the only one.
//
// A small bus (the port bus: 64 K addresses) can have an index: byte a of the table is 1 + the
// number of the range holding address a, 0 when none does. busFind is then one load instead of
// a scan of the ranges — port I/O is the most frequent device exit. Capacity ≤ 255 (a byte).

export const BUS_RANGE_SIZE: u32 = 24;
/** The I/O port space: ports 0 … 0xFFFF. */
export const PORT_LIMIT: u64 = 0x10000;
/** Guest-physical addresses: below 2^52 (the architectural MAXPHYADDR limit, SDM Vol 3A §4.1.4). */
export const GPA_LIMIT: u64 = <u64>1 << 52;

export const enum BusStatus {
  OK = 0,
  /** length 0, base + length beyond the bus limit, or wrap-around. */
  BAD_RANGE = 1,
  /** Overlaps a range already registered. */
  OVERLAP = 2,
  /** No free slot. */
  FULL = 3,
}

@unmanaged export class BusRange {
  base: u64;
  length: u64;
  device: u32;
  ctx: u32;
}

@unmanaged export class Bus {
  ranges: usize;
  capacity: u32;
  count: u32;
  index: usize;
  limit: u64;
}

/** Largest bus an index may cover (bytes of table), and most ranges it can number. */
export const BUS_INDEX_MAX_LIMIT: u64 = 0x10000;
export const BUS_INDEX_MAX_RANGES: u32 = 255;

/** Range `i`. Invariant: i < bus.capacity (callers bound by count ≤ capacity). */
@inline export function busRangeAt(bus: Bus, i: u32): BusRange {
  return changetype<BusRange>(bus.ranges + <usize>i * BUS_RANGE_SIZE);
}

/** Makes `bus` empty over `capacity` slots at `storage` (capacity × BUS_RANGE_SIZE bytes). */
export function busInit(bus: Bus, storage: usize, capacity: u32, limit: u64): void {
  bus.ranges = storage;
  bus.capacity = capacity;
  bus.count = 0;
  bus.index = 0;
  bus.limit = limit;
}

/**
 * Gives `bus` (limit ≤ BUS_INDEX_MAX_LIMIT, capacity ≤ BUS_INDEX_MAX_RANGES: else a VMM bug,
 * assert) the index table at `table` (bus.limit bytes, owned by the caller), built from the
 * ranges registered so far; busRegister keeps it up to date.
 */
export function busAttachIndex(bus: Bus, table: usize): void {
  assert(bus.limit <= BUS_INDEX_MAX_LIMIT && bus.capacity <= BUS_INDEX_MAX_RANGES, "bus index: bus too large");
  memory.fill(table, 0, <usize>bus.limit);
  bus.index = table;
  for (let i: u32 = 0; i < bus.count; i++) indexRange(bus, i);
}

/** Marks range `i`'s addresses in the index. Invariant: bus.index != 0, the range lies below bus.limit. */
function indexRange(bus: Bus, i: u32): void {
  const r = busRangeAt(bus, i);
  memory.fill(bus.index + <usize>r.base, <u8>(i + 1), <usize>r.length);
}

/** Registers [base, base + length) for device kind `device` with instance `ctx`. */
export function busRegister(bus: Bus, base: u64, length: u64, device: u32, ctx: usize): BusStatus {
  if (length == 0 || base >= bus.limit || length > bus.limit - base) return BusStatus.BAD_RANGE;
  const end = base + length;
  for (let i: u32 = 0; i < bus.count; i++) {
    const r = busRangeAt(bus, i);
    if (base < r.base + r.length && r.base < end) return BusStatus.OVERLAP;
  }
  if (bus.count >= bus.capacity) return BusStatus.FULL;
  const r = busRangeAt(bus, bus.count);
  r.base = base;
  r.length = length;
  r.device = device;
  r.ctx = <u32>ctx;
  if (bus.index != 0) indexRange(bus, bus.count);
  bus.count++;
  return BusStatus.OK;
}

/** Index of the range containing `addr`, or -1 (unassigned). */
export function busFind(bus: Bus, addr: u64): i32 {
  const index = bus.index;
  if (index != 0) return addr < bus.limit ? <i32>load<u8>(index + <usize>addr) - 1 : -1;
  const n = min<u32>(bus.count, bus.capacity);
  for (let i: u32 = 0; i < n; i++) {
    const r = busRangeAt(bus, i);
    if (addr >= r.base && addr - r.base < r.length) return <i32>i;
  }
  return -1;
}

/**
 * Whether a range holds `addr`: busFind(bus, addr) >= 0 in one load. Invariants: `bus` has an
 * index (busAttachIndex) and addr < bus.limit — on the port bus (limit PORT_LIMIT) every port
 * number is; src/vmm/exit-lite.ts relies on the platform having attached it (VCpu.fastExt).
 */
@inline export function busIndexHolds(bus: Bus, addr: u32): bool {
  return load<u8>(bus.index + <usize>addr) != 0;
}

/**
 * All-ones of `size` bytes (1, 2, 4, 8): what a read of an unassigned port returns. Invariant:
 * `size` is one of those (every caller's is a decoded access width); one shift, no branch.
 */
@inline export function allOnes(size: u32): u64 {
  return <u64>0xFFFFFFFFFFFFFFFF >> (<u64>(8 - size) << 3);
}

/** Whether `size` is a width a bus access may have: 1, 2, 4 or 8 bytes. */
@inline export function busSizeValid(size: u32): bool {
  return size == 1 || size == 2 || size == 4 || size == 8;
}
