; hostile -- hypercalls with bad arguments (docs/guest-protocol.md, "Hypercalls"): ranges that are
; not guest RAM (-14), lengths over 4096 (-22), unknown numbers (-38), with 64-bit values a
; hypervisor that truncates to 32 bits would get wrong; and every register but RAX must survive a
; hypercall; VMCALL from ring 3 is #UD and does nothing (the hypervisor checks CPL: SDM Vol 3C,
; "Instructions That Cause VM Exits Unconditionally" -- VMCALL exits at any CPL, so refusing
; user mode is the hypervisor's job). Runs in 64-bit mode so the full 64-bit argument registers
; are in play.
%include "tsg.inc"
org TSG_LOAD
bits 64
    TSG_HEADER 64, start, pml4, 0x7000
%include "lib64.inc"

; HC number, rbx, rcx: a raw hypercall (not through write64), result in rax
%macro RAW_HC 3
    mov rax, %1
    mov rbx, %2
    mov rcx, %3
    HYPERCALL
%endmacro

start:
    call lm_init64
    cld

    ; a well-formed call returns the number of bytes written; the line itself shows it arrived
    lea rsi, [rel str_probe]
    RAW_HC HC_CONSOLE_WRITE, rsi, str_probe_len
    cmp rax, str_probe_len
    CHECK e, "console_write returns length"

    RAW_HC HC_CONSOLE_WRITE, 0x40000000, 4
    cmp rax, EFAULT
    CHECK e, "console_write gpa outside ram -14"
    RAW_HC HC_CONSOLE_WRITE, TESTDEV, 4
    cmp rax, EFAULT
    CHECK e, "console_write gpa of mmio device -14"
    ; [2^64 - 8, 2^64 + 8): an unchecked addition wraps to 8 and looks like RAM
    RAW_HC HC_CONSOLE_WRITE, -8, 16
    cmp rax, EFAULT
    CHECK e, "console_write wrapping range -14"
    ; above 4 GiB by exactly 4 GiB: a hypervisor that keeps only ebx sees 0x8000
    mov rdx, 0x100000000 + TSG_LOAD
    RAW_HC HC_CONSOLE_WRITE, rdx, 4
    cmp rax, EFAULT
    CHECK e, "console_write gpa above 4 GiB -14"
    lea rsi, [rel str_probe]
    RAW_HC HC_CONSOLE_WRITE, rsi, 4097
    cmp rax, EINVAL
    CHECK e, "console_write length 4097 -22"
    ; 2^32 + 4: a hypervisor that keeps only ecx sees 4
    mov rdx, 0x100000004
    RAW_HC HC_CONSOLE_WRITE, rsi, rdx
    cmp rax, EINVAL
    CHECK e, "console_write length 2^32+4 -22"
    ; huge: both too long and not RAM; either error is right, success is not
    mov rdx, 0x8000000000000000
    RAW_HC HC_CONSOLE_WRITE, rsi, rdx
    cmp rax, EINVAL
    je .huge
    cmp rax, EFAULT
.huge:
    CHECK e, "console_write length 2^63 rejected"

    RAW_HC 0, 0, 0
    cmp rax, ENOSYS
    CHECK e, "hypercall 0 -38"
    RAW_HC 99, 0, 0
    cmp rax, ENOSYS
    CHECK e, "hypercall 99 -38"
    ; 2^32 + 1: console_write only if the number were truncated to 32 bits
    mov rdx, 0x100000001
    lea rsi, [rel str_probe]
    RAW_HC rdx, rsi, str_probe_len
    cmp rax, ENOSYS
    CHECK e, "hypercall 2^32+1 -38"

    ; every register except RAX is preserved (by a failing and by a working call)
    call load_patterns
    mov rax, 99
    HYPERCALL
    call check_patterns
    CHECK e, "unknown hypercall preserves registers"
    call load_patterns
    lea rbx, [rel str_empty_line]
    mov rcx, 0
    mov rax, HC_CONSOLE_WRITE
    HYPERCALL
    lea rax, [rel str_empty_line]
    cmp rbx, rax
    jne .bad
    test rcx, rcx
    jne .bad
    mov rbx, 0x3333333333333333  ; rbx/rcx were arguments; the rest must hold their patterns
    mov rcx, 0x1111111111111111
    call check_patterns
.bad:
    CHECK e, "console_write preserves registers"

; ---- VMCALL from CPL 3 -> #UD -------------------------------------------------------------
    ; own GDT with ring-3 segments and a TSS (RSP0 for the #UD taken in ring 3: SDM Vol 3A,
    ; "Stack Switching in IA-32e Mode"), then IRETQ to ring 3
    lgdt [rel gdt_user_desc]
    mov ax, SEL_TSS
    ltr ax
    mov qword [rel exc_count64], 0
    EXPECT_EXC_RESUME 6, .after_user
    push qword SEL_UDATA | 3     ; SS
    push qword USER_STACK        ; RSP
    push qword 0x2               ; RFLAGS: IF = 0
    push qword SEL_UCODE | 3     ; CS
    lea rax, [rel user_code]
    push rax                     ; RIP
    iretq
.after_user:
    cmp qword [rel exc_count64], 1
    CHECK e, "vmcall from cpl 3 #ud"

    jmp exit64

; ring 3: a console_write that must not happen; the #UD handler takes us back to ring 0
user_code:
    mov eax, HC_CONSOLE_WRITE
    lea rbx, [rel str_user_write]
    mov ecx, str_user_write_len
    vmcall
    ; no #UD: the hypervisor ran the hypercall for ring 3 (or ignored the VMCALL); get back to
    ; ring 0 through a #GP (HLT at CPL 3) that the resume handler does not expect
    hlt
    jmp user_code

USER_STACK equ 0x5000            ; ring-3 stack, RAM below the image
RING0_STACK equ 0x6000           ; TSS.RSP0: away from the ring-0 stack at 0x7000
SEL_UDATA equ 0x18
SEL_UCODE equ 0x20
SEL_TSS   equ 0x28
TSS_BASE  equ tss64 - $$ + TSG_LOAD

align 8
gdt_user:
    dq 0
    dq 0x00AF9B000000FFFF        ; 0x08: ring-0 64-bit code (as in lib64.inc)
    dq 0x00CF93000000FFFF        ; 0x10: ring-0 data
    dq 0x00CFF3000000FFFF        ; 0x18: ring-3 data (DPL 3)
    dq 0x00AFFB000000FFFF        ; 0x20: ring-3 64-bit code (DPL 3)
    ; 0x28: 64-bit available TSS, 16 bytes (SDM Vol 3A, "TSS Descriptor in 64-bit Mode")
    dw 103
    dw TSS_BASE & 0xFFFF
    db (TSS_BASE >> 16) & 0xFF
    db 0x89                      ; present, DPL 0, type 9
    db 0
    db (TSS_BASE >> 24) & 0xFF
    dd TSS_BASE >> 32
    dd 0
gdt_user_end:
gdt_user_desc:
    dw gdt_user_end - gdt_user - 1
    dq gdt_user
align 16
tss64:
    dd 0
    dq RING0_STACK               ; RSP0
    times 104 - 12 db 0
str_user_write: db "FAIL vmcall from cpl 3 was executed", 10
str_user_write_len equ $ - str_user_write

; distinct values in rbx, rcx, rdx, rsi, rdi, rbp, r8..r15
load_patterns:
    mov rbx, 0x3333333333333333
    mov rcx, 0x1111111111111111
    mov rdx, 0x2222222222222222
    mov rsi, 0x6666666666666666
    mov rdi, 0x7777777777777777
    mov rbp, 0x5555555555555555
    mov r8,  0x8888888888888888
    mov r9,  0x9999999999999999
    mov r10, 0xAAAAAAAAAAAAAAAA
    mov r11, 0xBBBBBBBBBBBBBBBB
    mov r12, 0xCCCCCCCCCCCCCCCC
    mov r13, 0xDDDDDDDDDDDDDDDD
    mov r14, 0xEEEEEEEEEEEEEEEE
    mov r15, 0xFFFFFFFF00000000
    ret
; ZF = 1 if every register still holds its pattern (rax is scratch)
%macro SAME 2
    mov rax, %2
    cmp %1, rax
    jne .out
%endmacro
check_patterns:
    SAME rbx, 0x3333333333333333
    SAME rcx, 0x1111111111111111
    SAME rdx, 0x2222222222222222
    SAME rsi, 0x6666666666666666
    SAME rdi, 0x7777777777777777
    SAME rbp, 0x5555555555555555
    SAME r8,  0x8888888888888888
    SAME r9,  0x9999999999999999
    SAME r10, 0xAAAAAAAAAAAAAAAA
    SAME r11, 0xBBBBBBBBBBBBBBBB
    SAME r12, 0xCCCCCCCCCCCCCCCC
    SAME r13, 0xDDDDDDDDDDDDDDDD
    SAME r14, 0xEEEEEEEEEEEEEEEE
    SAME r15, 0xFFFFFFFF00000000
.out:
    ret

str_probe: db "PASS console_write probe", 10
str_probe_len equ $ - str_probe
str_empty_line: db 0

%define PT64_USER                ; ring 3 runs user_code and uses its stack
%include "pt64.inc"
