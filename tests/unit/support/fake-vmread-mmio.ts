// The fake of hw_vmread_mmio (boot/vmread-mmio.asm; docs/native-abi.md): the EPT-violation fields
// VMREAD into the two blocks, as qwords, each field through the fake's own VMREAD, so a test sets
// them as it sets any other field. Shared by the fake machine (fake-machine.ts) and the exit-handler
// world (tests/exits/world.ts).

/** Encodings (SDM Vol. 3C Appendix B) in slot order: `regs` (GuestPagingRegs), then `info`. */
export const VMREAD_MMIO_REGS = [0x6800, 0x6802, 0x6804, 0x2806] as const; // CR0 CR3 CR4 IA32_EFER
export const VMREAD_MMIO_INFO = [
  0x2400, // GUEST_PHYSICAL_ADDRESS
  0x6400, // EXIT_QUALIFICATION
  0x4816, // CS access rights
  0x4818, // SS access rights
  0x4408, // IDT-vectoring information
  0x4824, // interruptibility state
] as const;

/** hw_vmread_mmio over `vmread` (returns the field's value; unset fields read as 0). */
export function fakeVmreadMmio(view: () => DataView, vmread: (field: number) => bigint) {
  return (regs: number, info: number): void => {
    const v = view();
    VMREAD_MMIO_REGS.forEach((f, i) => v.setBigUint64((regs >>> 0) + 8 * i, BigInt.asUintN(64, vmread(f)), true));
    VMREAD_MMIO_INFO.forEach((f, i) => v.setBigUint64((info >>> 0) + 8 * i, BigInt.asUintN(64, vmread(f)), true));
  };
}
