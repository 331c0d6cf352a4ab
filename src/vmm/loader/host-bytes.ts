// Bounds-checked reads of an input image that sits in host memory (a kernel, an initrd or a
// command line handed over as a multiboot2 module). The bytes are hostile: every offset a loader
// reads is checked against the image length first (hostFits), and the image itself must lie
// inside what the core can address (wasm address = host-physical address, below 4 GiB:
// docs/native-abi.md "Memory"). Host memory is read with plain loads, never through GuestMemory.

/** Host addresses the core reaches: the 32-bit wasm address space. */
const HOST_LIMIT: u64 = <u64>1 << 32;

/**
 * An input image in host memory. 16 bytes:
 *   offset 0 base (u64, host-physical = wasm address)   8 len (u64, bytes)
 */
@unmanaged export class HostBytes {
  base: u64;
  len: u64;
}

/** [base, base + len) lies below 4 GiB without wrapping: the image is addressable at all. */
export function hostSpanValid(base: u64, len: u64): bool {
  return base <= HOST_LIMIT && len <= HOST_LIMIT - base;
}

/** [off, off + n) lies inside the image (no wrap-around). */
@inline export function hostFits(h: HostBytes, off: u64, n: u64): bool {
  return off <= h.len && n <= h.len - off;
}

/** Wasm address of byte `off`. Invariant: hostSpanValid(h.base, h.len) and off <= h.len. */
@inline export function hostPtr(h: HostBytes, off: u64): usize {
  return <usize>(h.base + off);
}

/** Invariant: hostFits(h, off, 1) was checked by the caller. */
@inline export function hostU8(h: HostBytes, off: u64): u32 {
  return <u32>load<u8>(hostPtr(h, off));
}
/** Invariant: hostFits(h, off, 2) was checked by the caller. Unaligned: x86 and wasm allow it. */
@inline export function hostU16(h: HostBytes, off: u64): u32 {
  return <u32>load<u16>(hostPtr(h, off));
}
/** Invariant: hostFits(h, off, 4) was checked by the caller. */
@inline export function hostU32(h: HostBytes, off: u64): u32 {
  return load<u32>(hostPtr(h, off));
}
/** Invariant: hostFits(h, off, 8) was checked by the caller. */
@inline export function hostU64(h: HostBytes, off: u64): u64 {
  return load<u64>(hostPtr(h, off));
}

/**
 * Length of the NUL-terminated or length-bounded string in `h` (bytes before the first NUL),
 * scanning at most `max` + 1 bytes: a result above `max` means "too long", whatever the rest is.
 */
export function hostStrLen(h: HostBytes, max: u64): u64 {
  const n = h.len < max + 1 ? h.len : max + 1;
  for (let i: u64 = 0; i < n; i++) {
    if (hostU8(h, i) == 0) return i;
  }
  return n;
}
