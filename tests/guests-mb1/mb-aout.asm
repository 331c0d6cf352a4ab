; mb-aout -- a multiboot v1 test kernel as a flat binary with the a.out kludge (Multiboot 0.6.96
; §3.1.3: header flags[16] and the address fields header_addr, load_addr, load_end_addr,
; bss_end_addr, entry_addr tell the loader where the file goes; no ELF headers). The header is
; not at the start of the file and the entry is not at the start of the image, so both the load
; offset and the entry address are exercised; the bss (zeroed by the loader) holds the stack.
; It checks what the loader gave it (checks.inc), finds the ACPI PM1a control block and powers
; the VM off (acpi.inc). Declared in tests/guests-mb1/mkiso.sh as
;   multiboot name=mbaout mem=64 -- tshv mb1 aout answer=43
; with one module: module 3 of modules.inc (-- third module).

MB_MAGIC    equ 0x1BADB002
MB_FLAGS    equ (1 << 0) | (1 << 1) | (1 << 16)   ; page-aligned modules, memory info, addresses
LOAD_ADDR   equ 0x200000
EXPECT_MEM_MIB equ 64
EXPECT_MODS    equ 1
STACK_BYTES    equ 16384
%include "modules.inc"
%define KERNEL_EXTRA_CHECK check_bss    ; checks.inc: run before the common checks

bits 32
org LOAD_ADDR
image_start:
    ; Never executed (entry_addr points further in): a kernel started at load_addr by mistake
    ; prints nothing and halts.
    cli
    hlt
    jmp image_start
    times 64 - ($ - $$) db 0xCC

align 4
mb_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd mb_header                        ; header_addr: where this header ends up
    dd image_start                      ; load_addr
    dd load_end                         ; load_end_addr: the file up to here is loaded
    dd bss_end                          ; bss_end_addr: zeroed up to here
    dd entry                            ; entry_addr

%include "lib.inc"
%include "checks.inc"
%include "acpi.inc"

entry:
    MB1_ENTRY
    mov esi, str_hello
    jmp kernel_main

; The bss [load_end, bss_end) reads zero (§3.1.3: the loader zeroes it), below the stack in use.
check_bss:
    pushad
    mov edi, load_end
.z:
    cmp edi, stack_top - 1024
    jae .ok
    cmp byte [edi], 0
    jne .out
    inc edi
    jmp .z
.ok:
    cmp eax, eax
.out:
    CHECK e, "bss zeroed"
    popad
    ret

str_hello: db "INFO mb-aout: a.out-kludge multiboot kernel started", 0
expect_cmdline: db "tshv mb1 aout answer=43", 0
mod1_string:    db "third module", 0
align 4
mod_table:
    dd MOD3_LEN, MOD3_SEED, mod1_string
align 4
load_end:

stack_bottom equ load_end
stack_top    equ load_end + STACK_BYTES
bss_end      equ stack_top
image_end    equ bss_end
