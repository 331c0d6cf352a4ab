; idt.asm -- the IDT: one stub per vector (0..255), a report on the console, and the exception
; fixup table that lets hw_rdmsr_safe survive a #GP.
; SDM Vol. 3 §6.14.1 (64-bit IDT gates), §6.14.2 (stack frame: the CPU aligns rsp to 16 and
; pushes ss, rsp, rflags, cs, rip [, error code]), §6.3.1 + table 6-1 (which vectors push an error
; code), §6.14.5 (IST).
; Interrupts stay disabled in the stub (the core decides when to take any), so vectors 32..255
; only fire by mistake (a stray NMI-like delivery or a bug): they are reported like exceptions.

%include "defs.inc"

extern console_lock, console_unlock, console_puts, console_puthex, console_putdec
extern hw_halt
extern __fixup_start, __fixup_end

BITS 64
section .text

; vectors whose exceptions push an error code: #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14,
; #AC 17, #CP 21, #VC 29, #SX 30 (SDM Vol. 3 table 6-1; 21/29/30 from later table revisions)
%define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

; Each stub makes the frame uniform: [rsp] = vector, [rsp+8] = error code (0 if none).
align 16
idt_stubs:
%assign v 0
%rep 256
idt_stub_%[v]:
%if !HAS_ERRCODE(v)
    push 0
%endif
    push v
    jmp idt_common
%assign v v + 1
%endrep

; Saved-register area laid out by idt_common (9 caller-saved registers, then the stub's two
; pushes, then the CPU's frame).
FRAME_VECTOR equ 9 * 8
FRAME_ERROR  equ FRAME_VECTOR + 8
FRAME_RIP    equ FRAME_VECTOR + 16
FRAME_CS     equ FRAME_VECTOR + 24
FRAME_RFLAGS equ FRAME_VECTOR + 32
FRAME_RSP    equ FRAME_VECTOR + 40

idt_common:
    ; rsp was 16-aligned before the CPU's 5 pushes + 2 stub pushes (56 bytes): 9 more make it
    ; 16-aligned again for the calls below (SysV)
    push rax
    push rcx
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    cld
    cmp qword [rsp + FRAME_VECTOR], 13  ; #GP: an instruction listed in the fixup table?
    jne .report
    mov rax, [rsp + FRAME_RIP]
    lea rcx, [rel __fixup_start]
    lea rdx, [rel __fixup_end]
.scan:
    cmp rcx, rdx
    jae .report
    cmp [rcx], rax
    je .fixup
    add rcx, 16
    jmp .scan
.fixup:
    mov rax, [rcx + 8]                  ; resume address: returns "failed" to the caller
    mov [rsp + FRAME_RIP], rax
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rax
    add rsp, 16                         ; vector + error code
    iretq
.report:
    ; "EXCEPTION: vector N error E rip R cr2 C" (hex), then the rest of the frame
    call console_lock
    lea rsi, [rel str_exc]
    call console_puts
    mov rax, [rsp + FRAME_VECTOR]
    call console_puthex
    lea rsi, [rel str_error]
    call console_puts
    mov rax, [rsp + FRAME_ERROR]
    call console_puthex
    lea rsi, [rel str_rip]
    call console_puts
    mov rax, [rsp + FRAME_RIP]
    call console_puthex
    lea rsi, [rel str_cr2]
    call console_puts
    mov rax, cr2
    call console_puthex
    lea rsi, [rel str_rsp]
    call console_puts
    mov rax, [rsp + FRAME_RSP]
    call console_puthex
    lea rsi, [rel str_rflags]
    call console_puts
    mov rax, [rsp + FRAME_RFLAGS]
    call console_puthex
    lea rsi, [rel str_cs]
    call console_puts
    mov rax, [rsp + FRAME_CS]
    call console_puthex
    lea rsi, [rel str_cpu]
    call console_puts
    mov rax, [gs:PCPU_INDEX]
    call console_putdec
    lea rsi, [rel str_nl]
    call console_puts
    call console_unlock
    jmp hw_halt                         ; drains the UART, then stops this CPU

; idt_init -- fill all 256 gates (once, on the boot CPU). Clobbers rax, rcx, rdx, rsi, rdi.
; Gate: offset 15:0, selector, IST (bits 2:0 of byte 4), type 0xE (interrupt gate) + P,
; offset 31:16, offset 63:32, reserved.
global idt_init
idt_init:
    lea rdi, [rel idt]
    lea rsi, [rel idt_stubs]
    xor ecx, ecx
.gate:
    lea rax, [rel idt_stub_table]
    mov eax, [rax + rcx*4]              ; stub offset from idt_stubs
    add rax, rsi
    mov [rdi], ax
    mov word [rdi + 2], SEL_CODE64
    xor edx, edx
    cmp ecx, 8
    jne .not_df
    mov edx, IST_DF
.not_df:
    cmp ecx, 2
    jne .not_nmi
    mov edx, IST_NMI
.not_nmi:
    cmp ecx, 18
    jne .not_mc
    mov edx, IST_MC
.not_mc:
    mov [rdi + 4], dl                   ; IST index
    mov byte [rdi + 5], 0x8E            ; P=1, DPL=0, 64-bit interrupt gate (IF cleared on entry)
    shr rax, 16
    mov [rdi + 6], ax
    shr rax, 16
    mov [rdi + 8], eax
    mov dword [rdi + 12], 0
    add rdi, 16
    inc ecx
    cmp ecx, 256
    jb .gate
    ret

; idt_load -- LIDT on the calling CPU (every CPU shares the one table). Clobbers nothing.
global idt_load
idt_load:
    lidt [rel idt_ptr]
    ret

section .rodata
align 4
idt_stub_table:                         ; stub sizes differ (push imm8 vs imm32), so list them
%assign v 0
%rep 256
    dd idt_stub_%[v] - idt_stubs
%assign v v + 1
%endrep
str_exc:    db 10, "EXCEPTION: vector ", 0
str_error:  db " error ", 0
str_rip:    db " rip ", 0
str_cr2:    db " cr2 ", 0
str_rsp:    db 10, "  rsp ", 0
str_rflags: db " rflags ", 0
str_cs:     db " cs ", 0
str_cpu:    db " cpu ", 0
str_nl:     db 10, 0

section .data
align 8
idt_ptr:
    dw 256 * 16 - 1
    dq idt

section .bss
alignb 16
idt: resb 256 * 16
