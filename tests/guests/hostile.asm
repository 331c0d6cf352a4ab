; hostile -- hypercalls with bad arguments (docs/guest-protocol.md, "Hypercalls"): ranges that are
; not guest RAM (-14), lengths over 4096 (-22), unknown numbers (-38), with 64-bit values a
; hypervisor that truncates to 32 bits would get wrong; and every register but RAX must survive a
; hypercall. Runs in 64-bit mode so the full 64-bit argument registers are in play.
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

    jmp exit64

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

%include "pt64.inc"
