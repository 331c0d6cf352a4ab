// The physical-memory interface the EPT code and GuestMemory are generic over, and the one
// implementation the core uses today.
//
// AssemblyScript compiles generics per instantiation, so `eptMap<M, F>(…, mem: M, frames: F)`
// calls the concrete class's methods directly: no virtual dispatch, no managed objects. Any class
// with these methods can stand in for M (e.g. one that reaches memory above 4 GiB through a
// future hw intrinsic, see docs/native-abi.md):
//
//   reaches(pa: u64, len: u64): bool   [pa, pa + len) can be read and written through ptr()
//   ptr(pa: u64): usize                wasm address of pa; only after reaches(pa, len) is true
//   load64(pa: u64): u64               one aligned qword (a paging-structure entry)
//   store64(pa: u64, v: u64): void
//   zeroFrame(pa: u64): void           clears the 4 KiB frame at pa
//
// and for F, the source of page-table frames:
//
//   allocTable(): u64                  a 4 KiB frame reachable through M, or 0
//   freeTable(pa: u64): void

/**
 * Physical memory as the core sees it: wasm address = physical address (native-abi.md), valid
 * below `limit` (4 GiB on bare metal; the module's memory size in the unit tests). 8 bytes:
 *   offset 0 limit (u64)
 */
@final @unmanaged export class IdentityPhys {
  limit: u64;

  @inline reaches(pa: u64, len: u64): bool {
    return pa < this.limit && len <= this.limit - pa;
  }
  /** Invariant: reaches(pa, …) was checked by the caller. */
  @inline ptr(pa: u64): usize { return <usize>pa; }
  /** Invariant: pa is 8-aligned and inside a page-table frame the EPT code owns. */
  @inline load64(pa: u64): u64 { return load<u64>(<usize>pa); }
  /** Invariant: as for load64. */
  @inline store64(pa: u64, v: u64): void { store<u64>(<usize>pa, v); }
  /** Invariant: pa is a 4 KiB frame owned by the caller and below limit. */
  @inline zeroFrame(pa: u64): void { memory.fill(<usize>pa, 0, 4096); }
}
