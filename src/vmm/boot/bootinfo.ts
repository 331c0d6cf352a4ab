// The boot loader's information block → the `Memory:` console line.
// vmm_main receives the loader's magic and block address (docs/native-abi.md, "The boot stub ⇄
// core interface"); this file picks the parser by magic and reports what it found or why the
// block was refused.

import { print, printDec, printHex, println } from "../console/print";
import {
  BOOTINFO_OK,
  MEMORY_SUMMARY_SIZE,
  MEM_SOURCE_NONE,
  MemorySummary,
  bootInfoReason,
  clearSummary,
} from "./memory_summary";
import { parseMultiboot1 } from "./multiboot1";
import { parseMultiboot2 } from "./multiboot2";

/** Multiboot 0.6.96 §3.2: eax when a multiboot1 loader enters the image. */
export const MB1_BOOT_MAGIC: u32 = 0x2badb002;
/** Multiboot2 §3.3: eax when a multiboot2 loader (or our EFI loader) enters the image. */
export const MB2_BOOT_MAGIC: u32 = 0x36d76289;

/** The boot CPU's summary (static; the core allocates nothing). */
const SUMMARY: usize = memory.data(MEMORY_SUMMARY_SIZE, 8);

export function memorySummary(): MemorySummary {
  return changetype<MemorySummary>(SUMMARY);
}

/** Parses the loader's block and prints one `Memory:` line. Returns the parse status. */
export function reportMemory(magic: u32, info: u32): u32 {
  const out = memorySummary();
  clearSummary(out);
  print("Memory: ");
  if (info == 0) {
    println("no loader info (boot information pointer is 0)");
    return BOOTINFO_OK;
  }
  let status: u32;
  if (magic == MB1_BOOT_MAGIC) status = parseMultiboot1(<usize>info, out);
  else if (magic == MB2_BOOT_MAGIC) status = parseMultiboot2(<usize>info, out);
  else {
    print("no loader info (unknown boot magic ");
    printHex(magic, 8);
    println(")");
    return BOOTINFO_OK;
  }

  if (status != BOOTINFO_OK) {
    print("rejected ");
    print(magic == MB1_BOOT_MAGIC ? "multiboot1" : "multiboot2");
    print(" information at ");
    printHex(info, 8);
    print(": ");
    print(bootInfoReason(status));
    print(" (at offset ");
    printDec(out.errorOffset);
    println(")");
    return status;
  }
  if (out.source == MEM_SOURCE_NONE) {
    println("the loader gave no memory information");
    return status;
  }
  printDec(out.usableBytes >> 20);
  print(" MiB usable in ");
  printDec(out.usableRanges);
  println(out.usableRanges == 1 ? " range" : " ranges");
  return status;
}
