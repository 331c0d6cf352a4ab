; entry64.asm -- _start64: the common long-mode boot path of the boot CPU, and the entry for
; loaders that are already in long mode (our EFI loader). native-abi.md "The boot stub <-> core
; interface": rdi = boot magic, rsi = information block (< 4 GiB); interrupts off; paging on with
; the image identity-mapped. Nothing of the caller's GDT, stack or page tables is kept.
;
; Order: own GDT and stack first (the caller's may live in memory the core reuses), then the
; console and the IDT (so anything that faults from here on is reported), then the memory map,
; the identity map of all RAM, and finally the compiled core.

%include "defs.inc"

extern gdt_ptr64, cpu_stacks
extern console_init, console_puts, console_puthex, console_lock, console_unlock
extern idt_init, cpu_local_init
extern memmap_top, paging_build
extern map_end, map_page_size, map_ram_top, map_truncated
extern hw_halt
extern __ts2n_init, __ts2n_mem_pages, vmm_main

; native-abi.md "Memory": memory.size is 65536 pages = 4 GiB, the whole wasm32 address space,
; which the identity map always covers (MIN_MAP_GIB). The back end bounds-checks bulk memory
; operations (memory.fill/copy) against it, and the core fills and copies frames the allocator
; hands out anywhere in RAM (guest RAM, VMCS, EPT tables), not only in the 32 MiB wasm region.
TS2N_MEM_PAGES equ 65536

BITS 64
section .text
global _start64
_start64:
    cli
    cld
    mov r12d, edi                       ; magic (u32)
    mov r13d, esi                       ; info address (u32)

    lgdt [rel gdt_ptr64]
    lea rax, [rel .new_cs]
    push SEL_CODE64
    push rax
    retfq                               ; reload CS from our GDT
.new_cs:
    mov eax, SEL_DATA
    mov ds, eax
    mov es, eax
    mov ss, eax
    xor eax, eax
    mov fs, eax
    mov gs, eax                         ; GS base comes from IA32_GS_BASE (cpu_local_init)
    lea rsp, [rel cpu_stacks + STACK_SIZE]  ; CPU 0's stack top; cpu_stack_top(0) says the same

    ; x87 + SSE for compiled code (f32/f64 live in xmm registers): SDM Vol. 3 §14.1.3 / §13.1.3.
    ; CR0.NE: native x87 error reporting (also required by VMX operation, §25.8 / A.7).
    mov rax, cr0
    and rax, ~(CR0_EM | CR0_TS | CR0_CD | CR0_NW)
    or rax, CR0_MP | CR0_NE | CR0_WP
    mov cr0, rax
    mov rax, cr4
    or rax, CR4_OSFXSR | CR4_OSXMMEXCPT
    mov cr4, rax
    fninit
    ldmxcsr [rel mxcsr_default]

    ; Mask every line of both 8259A PICs (OCW1: interrupt mask register, data ports 0x21/0xA1):
    ; the host takes no device interrupts, and the firmware may leave the PIT's IRQ 0 enabled.
    ; With external-interrupt exiting and "acknowledge interrupt on exit" (VMX), an unmasked line
    ; would exit a guest, be acknowledged and then never see an EOI.
    mov al, 0xFF
    out 0x21, al
    out 0xA1, al

    call console_init
    call idt_init
    xor edi, edi
    call cpu_local_init                 ; CPU 0: TSS + TR, IDT, GS base

    mov edi, r12d
    mov esi, r13d
    call memmap_top
    mov rdi, rax
    call paging_build
    mov cr3, rax                        ; identity map of all RAM (flushes non-global TLB entries)

    call report_boot
    ; Wasm memory starts zeroed (wasm spec §4.5.3.8: memory instances are zero-filled), and the core's
    ; data + heap region [16 MiB, 32 MiB) is wasm memory not covered by data segments. BIOS-booted
    ; emulators happen to start with zeroed RAM; UEFI firmware (OVMF) leaves data there, and a
    ; loader need not zero bss, so do it here, on every path, before __ts2n_init copies the segments.
    ; linker.ld keeps loaders' information blocks out of this range (docs/native-abi.md).
    mov rdi, WASM_REGION_START
    mov rcx, (WASM_REGION_END - WASM_REGION_START) / 8
    xor eax, eax
    rep stosq
    mov qword [rel __ts2n_mem_pages], TS2N_MEM_PAGES
    call __ts2n_init                    ; globals, tables, data segments, start function

    ; only the multiboot magics come with an information block the core can parse
    xor esi, esi
    cmp r12d, MB1_BOOT_MAGIC
    cmove esi, r13d
    cmp r12d, MB2_BOOT_MAGIC
    cmove esi, r13d
    mov edi, r12d
    call vmm_main                       ; vmm_main(bootMagic, bootInfo)

    lea rsi, [rel str_returned]
    call console_puts
    jmp hw_halt

; One line that says how the stub found the machine, before the core prints anything:
; "boot: magic M info I ram-top T mapped E (page P)" and a warning when RAM is left unmapped.
report_boot:
    call console_lock
    lea rsi, [rel str_magic]
    call console_puts
    mov eax, r12d
    call console_puthex
    lea rsi, [rel str_info]
    call console_puts
    mov eax, r13d
    call console_puthex
    lea rsi, [rel str_top]
    call console_puts
    mov rax, [rel map_ram_top]
    call console_puthex
    lea rsi, [rel str_mapped]
    call console_puts
    mov rax, [rel map_end]
    call console_puthex
    lea rsi, [rel str_page]
    call console_puts
    mov rax, [rel map_page_size]
    call console_puthex
    lea rsi, [rel str_close]
    call console_puts
    cmp r12d, MB1_BOOT_MAGIC
    je .known
    cmp r12d, MB2_BOOT_MAGIC
    je .known
    lea rsi, [rel str_unknown]
    call console_puts
.known:
    cmp byte [rel map_truncated], 0
    je .done
    lea rsi, [rel str_truncated]
    call console_puts
.done:
    jmp console_unlock

section .rodata
align 4
mxcsr_default: dd 0x1F80                ; all SIMD exceptions masked, round to nearest (reset value)
str_magic:     db "boot: magic ", 0
str_info:      db " info ", 0
str_top:       db " ram-top ", 0
str_mapped:    db " mapped ", 0
str_page:      db " (page ", 0
str_close:     db ")", 10, 0
str_unknown:   db "boot: unknown boot magic: no information block passed to the core", 10, 0
str_truncated: db "boot: WARNING: RAM above the mapped end is not identity-mapped", 10, 0
str_returned:  db "boot: vmm_main returned", 10, 0
