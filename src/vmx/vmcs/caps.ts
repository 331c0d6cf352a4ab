// The VMX capability MSRs (SDM Vol 3D Appendix A; MSR numbers from Vol 4 Table 2-2) gathered in one
// block of memory so that the control computation stays pure: the caller reads the MSRs (RDMSR is
// privileged and lives in boot/) and fills a `VmxCaps`; everything in src/vmx/vmcs only reads it.

/** IA32_VMX_BASIC, the first capability MSR (A.1). The block below is indexed from it. */
export const IA32_VMX_BASIC: u32 = 0x480;
export const IA32_VMX_PINBASED_CTLS: u32 = 0x481;
export const IA32_VMX_PROCBASED_CTLS: u32 = 0x482;
export const IA32_VMX_EXIT_CTLS: u32 = 0x483;
export const IA32_VMX_ENTRY_CTLS: u32 = 0x484;
export const IA32_VMX_MISC: u32 = 0x485;
export const IA32_VMX_CR0_FIXED0: u32 = 0x486;
export const IA32_VMX_CR0_FIXED1: u32 = 0x487;
export const IA32_VMX_CR4_FIXED0: u32 = 0x488;
export const IA32_VMX_CR4_FIXED1: u32 = 0x489;
export const IA32_VMX_VMCS_ENUM: u32 = 0x48A;
export const IA32_VMX_PROCBASED_CTLS2: u32 = 0x48B;
export const IA32_VMX_EPT_VPID_CAP: u32 = 0x48C;
export const IA32_VMX_TRUE_PINBASED_CTLS: u32 = 0x48D;
export const IA32_VMX_TRUE_PROCBASED_CTLS: u32 = 0x48E;
export const IA32_VMX_TRUE_EXIT_CTLS: u32 = 0x48F;
export const IA32_VMX_TRUE_ENTRY_CTLS: u32 = 0x490;
/** One past the last MSR of the block. */
export const VMX_CAPS_MSR_END: u32 = 0x491;

/**
 * The values of MSRs 0x480..0x490, one u64 each, in MSR-number order, so that the field for MSR m
 * sits at byte offset (m - 0x480) * 8 and a reader can fill the block in a loop (`capsSlot`).
 * An MSR the CPU does not have reads as 0 here ("nothing allowed"), which makes every check below
 * fail cleanly instead of trusting garbage:
 *  - PROCBASED_CTLS2 exists only if bit 63 of PROCBASED_CTLS is 1 (A.3.3),
 *  - EPT_VPID_CAP only if secondary control "enable EPT" or "enable VPID" may be 1 (A.10),
 *  - the four TRUE MSRs only if IA32_VMX_BASIC bit 55 is 1 (A.1).
 *
 *   offset  0 basic        8 pinbased     16 procbased    24 exit        32 entry
 *          40 misc        48 cr0Fixed0    56 cr0Fixed1    64 cr4Fixed0   72 cr4Fixed1
 *          80 vmcsEnum    88 procbased2   96 eptVpidCap  104 truePin    112 trueProc
 *         120 trueExit   128 trueEntry   (136 bytes)
 */
@unmanaged export class VmxCaps {
  basic: u64;
  pinbased: u64;
  procbased: u64;
  exit: u64;
  entry: u64;
  misc: u64;
  cr0Fixed0: u64;
  cr0Fixed1: u64;
  cr4Fixed0: u64;
  cr4Fixed1: u64;
  vmcsEnum: u64;
  procbased2: u64;
  eptVpidCap: u64;
  truePin: u64;
  trueProc: u64;
  trueExit: u64;
  trueEntry: u64;
}

export const VMX_CAPS_SIZE: u32 = (VMX_CAPS_MSR_END - IA32_VMX_BASIC) * 8;

/** Address of the slot for `msr` in a `VmxCaps` block, or 0 if the MSR is not one of the block. */
export function capsSlot(caps: usize, msr: u32): usize {
  if (msr < IA32_VMX_BASIC || msr >= VMX_CAPS_MSR_END) return 0;
  return caps + <usize>((msr - IA32_VMX_BASIC) * 8);
}
