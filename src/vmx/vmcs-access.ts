// Typed access to the current VMCS (the one VMPTRLD made current on this CPU, SDM Vol 3C §24.1).
// Callers pass the named encodings of src/vmx/vmcs/fields.ts; each accessor checks that the
// field's width bits (§24.11.2, Table 24-17) match the accessor. With a constant encoding (the
// only way these are called) the check folds away after inlining; a mismatch is a VMM bug and
// panics instead of silently truncating or zero-extending a value.
//
// VMREAD/VMWRITE of a 16- or 32-bit field move the low bits of a 64-bit register; the upper bits
// read as 0 and must be 0 on write for 32-bit fields (§30.3 VMWRITE "the upper bits are ignored"
// — kept 0 anyway so the source of truth is the field width).

import { hw_vmread, hw_vmwrite } from "../hw";
import { VmcsWidth, vmcsWidth } from "./vmcs/fields";

function widthMismatch(field: u32): void {
  assert(false, "VMCS accessor width does not match the field encoding");
}

@inline function check(field: u32, width: u32): void {
  if (vmcsWidth(field) != width) widthMismatch(field);
}

/** 16-bit fields (B.1): selectors, VPID. */
@inline export function vmread16(field: u32): u32 { check(field, VmcsWidth.W16); return <u32>hw_vmread(field) & 0xFFFF; }
/** 32-bit fields (B.3): controls, limits, access rights, exit information. */
@inline export function vmread32(field: u32): u32 { check(field, VmcsWidth.W32); return <u32>hw_vmread(field); }
/** 64-bit fields (B.2), full encoding. */
@inline export function vmread64(field: u32): u64 { check(field, VmcsWidth.W64); return hw_vmread(field); }
/** Natural-width fields (B.4): 64 bits on our 64-bit host. */
@inline export function vmreadNat(field: u32): u64 { check(field, VmcsWidth.NATURAL); return hw_vmread(field); }

/** Each writer returns the VMWRITE status (0 ok, 1 VMfailInvalid, 2 VMfailValid). */
@inline export function vmwrite16(field: u32, v: u32): u32 { check(field, VmcsWidth.W16); return hw_vmwrite(field, <u64>(v & 0xFFFF)); }
@inline export function vmwrite32(field: u32, v: u32): u32 { check(field, VmcsWidth.W32); return hw_vmwrite(field, <u64>v); }
@inline export function vmwrite64(field: u32, v: u64): u32 { check(field, VmcsWidth.W64); return hw_vmwrite(field, v); }
@inline export function vmwriteNat(field: u32, v: u64): u32 { check(field, VmcsWidth.NATURAL); return hw_vmwrite(field, v); }
