// Prints who the boot CPU is:
//   CPU: GenuineIntel family 6 model 85 stepping 4
//   CPU: Intel(R) Core(TM) i7-7800X CPU @ 3.50GHz
// Numbers are decimal (as Linux's /proc/cpuinfo prints them); decode rules in x86/cpuid.ts.

import {
  CPUID_LEAF_BRAND_0,
  CPUID_LEAF_BRAND_2,
  CPUID_LEAF_EXT_MAX,
  CPUID_LEAF_FEATURES,
  CPUID_LEAF_VENDOR,
  cpuDisplayFamily,
  cpuDisplayModel,
  cpuStepping,
  cpuid,
} from "../../x86/cpuid";
import { print, printAscii, printDec, println } from "../console/print";

/** 48 bytes: the brand string (3 leaves × 16); the vendor (12 bytes) uses the first 12. */
const TEXT_SIZE: usize = 48;
const TEXT: usize = memory.data(<i32>TEXT_SIZE, 4);

/** Stores dword `i` of the text buffer. Invariant: i < TEXT_SIZE / 4. */
@inline function setTextDword(i: usize, value: u32): void {
  store<u32>(TEXT + (i << 2), value);
}
/** Byte `i` of the text buffer. Invariant: i < TEXT_SIZE. */
@inline function textByte(i: usize): u32 {
  return <u32>load<u8>(TEXT + i);
}

/** Prints the brand string without its leading/trailing blanks, stopping at the first NUL. */
function printBrand(): void {
  let end: usize = 0;
  while (end < TEXT_SIZE && textByte(end) != 0) end++;
  let start: usize = 0;
  while (start < end && textByte(start) == 0x20) start++; // older Intel parts right-justify it
  while (end > start && textByte(end - 1) == 0x20) end--;
  printAscii(TEXT + start, end - start);
}

/** Prints the CPU line(s). */
export function reportCpu(): void {
  const leaf0 = cpuid(CPUID_LEAF_VENDOR);
  const maxBasic = leaf0.eax;
  // The vendor string is EBX, EDX, ECX in that order (SDM Vol. 2A, CPUID leaf 0).
  setTextDword(0, leaf0.ebx);
  setTextDword(1, leaf0.edx);
  setTextDword(2, leaf0.ecx);
  print("CPU: ");
  printAscii(TEXT, 12);
  if (maxBasic >= CPUID_LEAF_FEATURES) {
    const version = cpuid(CPUID_LEAF_FEATURES).eax;
    print(" family ");
    printDec(cpuDisplayFamily(version));
    print(" model ");
    printDec(cpuDisplayModel(version));
    print(" stepping ");
    printDec(cpuStepping(version));
  } else {
    print(" (no CPUID leaf 1)");
  }
  println("");

  // Leaf 80000000H's EAX is only meaningful in 80000000H..8000FFFFH: CPUs without extended
  // leaves return the data of the highest basic leaf instead (SDM Vol. 2A, CPUID, "INPUT EAX").
  const maxExt = cpuid(CPUID_LEAF_EXT_MAX).eax;
  if ((maxExt & 0xffff0000) != CPUID_LEAF_EXT_MAX || maxExt < CPUID_LEAF_BRAND_2) return;
  for (let leaf = CPUID_LEAF_BRAND_0; leaf <= CPUID_LEAF_BRAND_2; leaf++) {
    const r = cpuid(leaf);
    const i = <usize>(leaf - CPUID_LEAF_BRAND_0) << 2;
    setTextDword(i + 0, r.eax);
    setTextDword(i + 1, r.ebx);
    setTextDword(i + 2, r.ecx);
    setTextDword(i + 3, r.edx);
  }
  print("CPU: ");
  printBrand();
  println("");
}
