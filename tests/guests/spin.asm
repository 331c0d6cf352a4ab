; spin -- prints "PASS started", then spins forever with interrupts off and never exits. The
; only way the other VMs get the CPU back is the VMX-preemption timer (SDM Vol 3C, "VMX-Preemption
; Timer"): tests/vmx asserts that the others finish while this one is still running.
%include "tsg.inc"
org TSG_LOAD
bits 16
    TSG_HEADER 16, start, 0, 0x7C00
%include "lib16.inc"

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    cld
    mov si, str_started
    call pass16
.spin:
    ; no HLT, no PAUSE, no I/O, no memory access: nothing here can cause a VM exit (SDM Vol 3C,
    ; "Instructions That Cause VM Exits Conditionally"), only the preemption timer ends the slice
    inc eax
    jmp .spin

str_started: db "started", 0
