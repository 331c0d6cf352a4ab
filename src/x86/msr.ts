// Model-specific register numbers the core reads (SDM Vol. 4, "Model-Specific Registers",
// architectural MSRs table; the VMX capability MSRs are described in SDM Vol. 3D Appendix A).

/** IA32_FEATURE_CONTROL: bit 0 lock, bit 1 VMX inside SMX, bit 2 VMX outside SMX. */
export const IA32_FEATURE_CONTROL: u32 = 0x3a;

/** IA32_VMX_BASIC (Appendix A.1). Bit 55: the IA32_VMX_TRUE_*_CTLS MSRs exist. */
export const IA32_VMX_BASIC: u32 = 0x480;
/** Capability MSRs for the VM-execution controls (Appendix A.3): bits 63:32 = allowed-1 settings. */
export const IA32_VMX_PINBASED_CTLS: u32 = 0x481;
export const IA32_VMX_PROCBASED_CTLS: u32 = 0x482;
export const IA32_VMX_EXIT_CTLS: u32 = 0x483;
export const IA32_VMX_ENTRY_CTLS: u32 = 0x484;
export const IA32_VMX_MISC: u32 = 0x485;
/** Exists only when PROCBASED_CTLS allowed-1 bit 31 (activate secondary controls) is set (A.3.3). */
export const IA32_VMX_PROCBASED_CTLS2: u32 = 0x48b;
/** Exists only when PROCBASED_CTLS2 allows EPT (bit 1) or VPID (bit 5) (Appendix A.10). */
export const IA32_VMX_EPT_VPID_CAP: u32 = 0x48c;
/** The TRUE_ variants exist only when IA32_VMX_BASIC bit 55 is set (Appendix A.2, A.3.1, A.3.2). */
export const IA32_VMX_TRUE_PINBASED_CTLS: u32 = 0x48d;
export const IA32_VMX_TRUE_PROCBASED_CTLS: u32 = 0x48e;
export const IA32_VMX_TRUE_EXIT_CTLS: u32 = 0x48f;
export const IA32_VMX_TRUE_ENTRY_CTLS: u32 = 0x490;
