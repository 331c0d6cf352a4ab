; triple -- loads an IDT with limit 0 and raises #UD: delivering it fails (#GP: vector beyond the
; IDT limit), delivering that fails too (#DF), and so does the double fault: a triple fault, which
; in VMX non-root operation is a VM exit (SDM Vol 3C, "Exit Reasons", basic reason 2; Vol 3A,
; "Interrupt 8 -- Double Fault Exception (#DF)"). The hypervisor must stop only this VM and print
; "[triple] stopped: triple fault".
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
    lidt [null_idt]
    ud2
    mov si, str_survived
    call fail16
    jmp exit16

null_idt:
    dw 0                         ; limit 0: no vector fits
    dd 0
str_started: db "started", 0
str_survived: db "ud2 with an empty IDT returned", 0
