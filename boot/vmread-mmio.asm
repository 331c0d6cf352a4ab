; vmread-mmio.asm -- hw_vmread_mmio: the VMCS fields an EPT violation's emulation needs, in one call
; (docs/native-abi.md, the intrinsics table; declared in src/hw.ts; the core's side of the layout is
; src/vmm/exits/ept-state.ts). Every MMIO access of a guest is an EPT violation (SDM Vol. 3C
; §28.3.3.2) whose handler needs the same ten fields; through hw_vmread each costs a call, a
; return and moving the value to where it is kept (~7 instructions), here two: the encoding into a
; register and a VMREAD straight to memory (§30.3 VMREAD: with a memory destination it writes 64
; bits in 64-bit mode, the field's value zero-extended).
;
; hw_vmread_mmio(regs: usize, info: usize): void
;   regs (GuestPagingRegs, src/ept/guest-paging.ts): +0 GUEST_CR0, +8 GUEST_CR3, +16 GUEST_CR4,
;        +24 GUEST_IA32_EFER
;   info (qwords): +0 GUEST_PHYSICAL_ADDRESS, +8 EXIT_QUALIFICATION, +16 CS access rights,
;        +24 SS access rights, +32 IDT-vectoring information, +40 interruptibility state
; (CS base, needed only outside 64-bit code, is left to hw_vmread.)
; A VMREAD that fails (no current VMCS, a field the CPU lacks) leaves its slot unchanged; none of
; these can fail with a current VMCS on a CPU we run guests on (EPT and the IA32_EFER entry/exit
; controls are required: src/vmx/vmcs-setup.ts). A System V leaf: rax is the only register it changes.

%include "defs.inc"

; Slots of `info` (ept-state.ts MmioExitInfo).
MMIO_INFO_GPA               equ 0
MMIO_INFO_QUAL              equ 8
MMIO_INFO_CS_AR             equ 16
MMIO_INFO_SS_AR             equ 24
MMIO_INFO_IDT_VECTORING     equ 32
MMIO_INFO_INTERRUPTIBILITY  equ 40

BITS 64
section .text

%macro VMREAD_TO 2 ; memory destination, field encoding
    mov eax, %2
    vmread %1, rax
%endmacro

global hw_vmread_mmio
hw_vmread_mmio:
    VMREAD_TO [rdi + 0], VMCS_GUEST_CR0
    VMREAD_TO [rdi + 8], VMCS_GUEST_CR3
    VMREAD_TO [rdi + 16], VMCS_GUEST_CR4
    VMREAD_TO [rdi + 24], VMCS_GUEST_IA32_EFER
    VMREAD_TO [rsi + MMIO_INFO_GPA], VMCS_GUEST_PHYSICAL_ADDR
    VMREAD_TO [rsi + MMIO_INFO_QUAL], VMCS_EXIT_QUAL
    VMREAD_TO [rsi + MMIO_INFO_CS_AR], VMCS_GUEST_CS_ACCESS_RIGHTS
    VMREAD_TO [rsi + MMIO_INFO_SS_AR], VMCS_GUEST_SS_ACCESS_RIGHTS
    VMREAD_TO [rsi + MMIO_INFO_IDT_VECTORING], VMCS_IDT_VECTORING_INFO
    VMREAD_TO [rsi + MMIO_INFO_INTERRUPTIBILITY], VMCS_GUEST_INTR_STATE
    ret
