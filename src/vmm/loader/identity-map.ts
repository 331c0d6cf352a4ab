// Identity-mapped page tables for the first 4 GiB, in guest RAM, for guests that start in 64-bit
// mode (the Linux 64-bit boot protocol, boot.rst: "the range with setup_header.init_size from
// start address of loaded kernel and zero page and command line buffer get ident mapping").
// 4-level paging with 2 MiB pages (SDM Vol 3A §4.5, Tables 4-15, 4-17, 4-18): 2 MiB pages work on
// every CPU with long mode, where 1 GiB pages need CPUID.80000001H:EDX.Page1GB, which a guest's
// CPUID need not report.
//
//   base + 0x0000  PML4: entry 0 -> PDPT                        (entries 1..511 not present)
//   base + 0x1000  PDPT: entries 0..3 -> PD 0..3                (entries 4..511 not present)
//   base + 0x2000  PD 0..3 (4 pages): entry j of PD i maps 2 MiB page i × 1 GiB + j × 2 MiB
//
// Entries: P (bit 0), R/W (bit 1), PS (bit 7) on the PD entries; supervisor-only, write-back
// (PWT = PCD = 0; PAT index 0), executable (NX clear).

import { GuestMemory, GmStatus } from "../../ept/guest-memory";
import { guestZero, guestW64, gmFirst } from "./guest-write";

const PTE_P: u64 = 1 << 0;
const PTE_RW: u64 = 1 << 1;
const PTE_PS: u64 = 1 << 7;
const PAGE: u64 = 4096;
const PD_COUNT: u64 = 4;
const PAGE_2M: u64 = 2 << 20;

/** Guest bytes the tables occupy: PML4 + PDPT + 4 PDs, page-aligned at their base. */
export const IDENTITY_MAP_BYTES: u64 = (2 + PD_COUNT) * PAGE;
/** The top of what the tables map. */
export const IDENTITY_MAP_LIMIT: u64 = PD_COUNT << 30;

/** Writes the tables at guest `base` (4 KiB aligned, IDENTITY_MAP_BYTES of RAM); base is CR3. */
export function writeIdentityMap4G<M>(gm: GuestMemory, mem: M, base: u64): GmStatus {
  if ((base & (PAGE - 1)) != 0) return GmStatus.BAD_ARGUMENT;
  let st = guestZero<M>(gm, mem, base, IDENTITY_MAP_BYTES);
  if (st != GmStatus.OK) return st;
  const pdpt = base + PAGE;
  st = guestW64<M>(gm, mem, base, pdpt | PTE_P | PTE_RW);
  for (let i: u64 = 0; i < PD_COUNT; i++) {
    const pd = base + (2 + i) * PAGE;
    st = gmFirst(st, guestW64<M>(gm, mem, pdpt + i * 8, pd | PTE_P | PTE_RW));
    for (let j: u64 = 0; j < 512; j++) {
      const page = (i << 30) + j * PAGE_2M;
      st = gmFirst(st, guestW64<M>(gm, mem, pd + j * 8, page | PTE_P | PTE_RW | PTE_PS));
    }
  }
  return st;
}
