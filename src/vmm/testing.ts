// Entry of build/vmm-test.wasm, the unit tests' build of the core (mk/core.mk, tests/unit/).
// Same sources and flags as build/vmm.wasm; in addition it imports its memory (so the tests' fake
// machine owns RAM, as the boot stub does) and exports the pure functions the tests call directly.
// Nothing here is linked into the image.

import { VmxCapsSnapshot, vmxVerdict } from "../vmx/caps";
import { cpuDisplayFamily, cpuDisplayModel, cpuStepping } from "../x86/cpuid";
import { memorySummary } from "./boot/bootinfo";
import { parseMultiboot1 } from "./boot/multiboot1";
import { parseMultiboot2 } from "./boot/multiboot2";

export { vmm_main, vmm_exit, vmm_exit_cpuid, vmm_exit_io } from "./main";
export { cpuDisplayFamily, cpuDisplayModel, cpuStepping };
// Constants as wasm globals, so the tests name them instead of repeating their numbers.
export {
  VMX_STATUS_USABLE,
  VMX_STATUS_NO_VMX,
  VMX_STATUS_LOCKED_OFF,
  VMX_STATUS_MSRS_UNREADABLE,
  VMX_STATUS_MISSING_REQUIRED,
  VMX_STATUS_FEATURE_CONTROL_UNREADABLE,
  FEAT_EPT,
  FEAT_UNRESTRICTED_GUEST,
  FEAT_VPID,
  FEAT_PREEMPTION_TIMER,
  FEAT_EPT_2M,
  FEAT_EPT_1G,
  VALID_FEATURE_CONTROL,
  VALID_BASIC,
  VALID_PINBASED,
  VALID_PROCBASED,
  VALID_PROCBASED2,
  VALID_EPT_VPID_CAP,
} from "../vmx/caps";
export {
  BOOTINFO_OK,
  BOOTINFO_BLOCK_PAST_4G,
  BOOTINFO_BLOCK_OVERLAPS_CORE,
  BOOTINFO_MISALIGNED,
  BOOTINFO_TOTAL_SIZE,
  BOOTINFO_TAG_HEADER_PAST_END,
  BOOTINFO_TAG_SIZE_TOO_SMALL,
  BOOTINFO_TAG_PAST_END,
  BOOTINFO_NO_END_TAG,
  BOOTINFO_END_TAG_SIZE,
  BOOTINFO_MMAP_ENTRY_SIZE,
  BOOTINFO_MMAP_PARTIAL_ENTRY,
  BOOTINFO_MMAP_TOO_LARGE,
  BOOTINFO_MMAP_EMPTY,
  BOOTINFO_MMAP_PAST_4G,
  BOOTINFO_MMAP_OVERLAPS_CORE,
  BOOTINFO_MMAP_RANGE_WRAPS,
  BOOTINFO_MEMINFO_TAG_SIZE,
  MEM_SOURCE_NONE,
  MEM_SOURCE_MMAP,
  MEM_SOURCE_BASIC,
} from "./boot/memory_summary";

/** A failing assert goes through the core's abort (--use abort=…): PANIC line, drain, halt. */
export function testAssert(ok: bool): void {
  assert(ok, "unit-test assertion");
}

/** The VT-x verdict word for the snapshot (vmx/caps.ts layout) the test wrote at `snapshot`. */
export function testVmxVerdict(snapshot: usize): u32 {
  return vmxVerdict(changetype<VmxCapsSnapshot>(snapshot));
}

/** Parses a multiboot1 block into the static summary; returns the status (BOOTINFO_*). */
export function testParseMultiboot1(info: usize): u32 {
  return parseMultiboot1(info, memorySummary());
}

/** Parses a multiboot2 block into the static summary; returns the status (BOOTINFO_*). */
export function testParseMultiboot2(info: usize): u32 {
  return parseMultiboot2(info, memorySummary());
}

export function testMemUsableBytes(): u64 {
  return memorySummary().usableBytes;
}
export function testMemUsableRanges(): u32 {
  return memorySummary().usableRanges;
}
export function testMemSource(): u32 {
  return memorySummary().source;
}
export function testMemErrorOffset(): u32 {
  return memorySummary().errorOffset;
}
