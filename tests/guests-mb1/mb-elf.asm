; mb-elf -- a multiboot v1 test kernel as an ELF32 i386 executable (Multiboot 0.6.96 §3.1: the
; header in the first 8192 bytes, no address fields: the loader takes the layout from the ELF
; program headers). Linked by tests/guests-mb1/elf.ld: .text at 1 MiB, .data and .bss in a second
; PT_LOAD segment at 0x140000 (a gap between segments, and memsz > filesz for the bss that holds
; the stack). It checks what the loader gave it (checks.inc), finds the ACPI PM1a control block
; and powers the VM off (acpi.inc). Declared in tests/guests-mb1/mkiso.sh as
;   multiboot name=mbelf mem=32 -- tshv mb1 elf32 answer=42
; with two modules: module 1 of modules.inc (-- first module arg=1) and module 2 (no string).

MB_MAGIC    equ 0x1BADB002
MB_FLAGS    equ (1 << 0) | (1 << 1)     ; §3.1.2: modules page-aligned, memory information
EXPECT_MEM_MIB equ 32
EXPECT_MODS    equ 2
STACK_BYTES    equ 16384
%include "modules.inc"

global start
extern _end                             ; elf.ld: end of the image, bss included

section .multiboot
align 4
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)

section .text
bits 32
image_start equ 0x100000                ; elf.ld places .multiboot/.text here
image_end   equ _end

%include "lib.inc"
%include "checks.inc"
%include "acpi.inc"

start:
    MB1_ENTRY
    mov esi, str_hello
    jmp kernel_main

str_hello: db "INFO mb-elf: ELF32 multiboot kernel started", 0

section .data
expect_cmdline: db "tshv mb1 elf32 answer=42", 0
mod1_string:    db "first module arg=1", 0
mod2_string:    db "", 0
align 4
mod_table:
    dd MOD1_LEN, MOD1_SEED, mod1_string
    dd MOD2_LEN, MOD2_SEED, mod2_string

section .bss
align 16
    resb STACK_BYTES
stack_top:
