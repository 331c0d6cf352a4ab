// The EPT-violation handler's per-vCPU block (exits/ept.ts), part of the vCPU's emulation state
// (guest.ts EMU_EPT): the exit's VMCS fields as hw_vmread_mmio writes them (boot/vmread-mmio.asm,
// docs/native-abi.md: one call instead of a VMREAD call per field), the MMIO range found, and the
// decode cache (src/vmm/mmio/decode-cache.ts). Offsets are from the block's start. EPT_STATE_SIZE
// bytes:
//   0 GUEST_PHYSICAL_ADDRESS   8 EXIT_QUALIFICATION   16 CS access rights   24 SS access rights
//  32 IDT-vectoring information   40 interruptibility state   48 the index of the MMIO range
//     the last exit found (u32: where the next lookup starts)   52 pad
//     (hw_vmread_mmio's `info`: a qword each, the field zero-extended; SDM Vol 3C §27.2.1 the exit
//     qualification, Table 28-7 for EPT violations; §27.2.4 IDT-vectoring; §24.4.1–2 guest state)
//  56 the MMIO range (BusRange address, usize)   60 pad   64 decode cache (DECODE_CACHE_SIZE)

import { DECODE_CACHE_SIZE } from "../mmio/decode-cache";

export const EI_GPA: usize = 0;
export const EI_QUAL: usize = 8;
export const EI_CS_AR: usize = 16;
export const EI_SS_AR: usize = 24;
export const EI_IDT_VECTORING: usize = 32;
export const EI_INTERRUPTIBILITY: usize = 40;
export const EI_RANGE_INDEX: usize = 48;
export const EI_RANGE: usize = 56;
export const EI_DECODE_CACHE: usize = 64;
export const EPT_STATE_SIZE: usize = EI_DECODE_CACHE + DECODE_CACHE_SIZE;
