; gdt.asm -- the GDT and each CPU's 64-bit TSS with its interrupt stacks (IST).
; SDM Vol. 3 §3.4.5 (segment descriptors), §5.2.1 (code segments in IA-32e mode: only L/D/P/DPL
; matter), §8.2.3 (16-byte TSS descriptors in IA-32e mode), §8.7 (64-bit TSS), §6.14.5 (IST).
; One GDT serves every CPU; CPU i owns the TSS descriptor at SEL_TSS0 + 16*i.

%include "defs.inc"

BITS 64
section .text

; tss_setup -- edi = CPU index (< MAX_CPUS). Fills that CPU's TSS (IST1 #DF, IST2 NMI, IST3 #MC;
; no I/O bitmap), writes its GDT descriptor as "available" and loads TR.
; Returns rax = address of the TSS. Clobbers rcx, rdx, r8.
global tss_setup
tss_setup:
    mov eax, edi
    imul eax, eax, TSS_STRIDE
    lea r8, [rel tss_area]
    add r8, rax                         ; r8 = this CPU's TSS
    ; IST pointers: top of each of this CPU's IST stacks (stacks grow down, 16-byte aligned)
    mov eax, edi
    imul eax, eax, IST_SIZE * IST_COUNT
    lea rdx, [rel ist_stacks]
    add rdx, rax
    xor ecx, ecx
.ist:
    add rdx, IST_SIZE                   ; top of IST stack ecx+1
    mov [r8 + TSS_IST1 + rcx*8], rdx
    inc ecx
    cmp ecx, IST_COUNT
    jb .ist
    ; I/O map base beyond the limit: no I/O permission bitmap (§19.5.2); ring 0 needs none
    mov word [r8 + TSS_IOMAP], TSS_SIZE
    ; 16-byte system descriptor: limit 15:0, base 23:0, type 9 (available 64-bit TSS) + P,
    ; limit 19:16 = 0, base 31:24, base 63:32, reserved dword
    mov eax, edi
    shl eax, 4
    lea rdx, [rel gdt + SEL_TSS0]
    add rdx, rax
    mov word [rdx], TSS_SIZE - 1
    mov rax, r8
    mov [rdx + 2], ax                   ; base 15:0
    shr rax, 16
    mov [rdx + 4], al                   ; base 23:16
    mov byte [rdx + 5], 0x89            ; P=1, DPL=0, type=1001b
    mov byte [rdx + 6], 0
    mov [rdx + 7], ah                   ; base 31:24
    shr rax, 16
    mov [rdx + 8], eax                  ; base 63:32
    mov dword [rdx + 12], 0
    mov eax, edi
    shl eax, 4
    add eax, SEL_TSS0
    ltr ax                              ; marks the descriptor busy
    mov rax, r8
    ret

section .data
align 16
global gdt
gdt:
    dq 0                                ; 0x00 null
    dq 0x00AF9A000000FFFF               ; 0x08 code: P, DPL0, exec/read, L=1 (64-bit)
    dq 0x00CF92000000FFFF               ; 0x10 data: P, DPL0, read/write, 4 GiB, G=1
    dq 0x00CF9A000000FFFF               ; 0x18 code: 32-bit flat (AP start-up path)
    times MAX_CPUS dq 0, 0              ; 0x20.. one TSS descriptor per CPU, filled by tss_setup
gdt_end:

; pseudo-descriptors for LGDT (SDM Vol. 3 §3.5.1): 32-bit form for protected mode, 64-bit form
; for long mode
global gdt_ptr32, gdt_ptr64
align 8
    dw 0                                ; pad: keeps the base of gdt_ptr32 4-aligned
gdt_ptr32:
    dw gdt_end - gdt - 1
    dd gdt
align 8
    times 6 db 0                        ; pad: keeps the base of gdt_ptr64 8-aligned
gdt_ptr64:
    dw gdt_end - gdt - 1
    dq gdt

section .bss
alignb 16
tss_area:   resb TSS_STRIDE * MAX_CPUS
alignb 16
ist_stacks: resb IST_SIZE * IST_COUNT * MAX_CPUS
