; bench -- VM-exit round-trip cost, counted with RDTSC. Under Bochs the TSC advances by one per
; retired instruction (guest and host alike), so a figure is the number of instructions one exit
; costs: the exiting instruction, the VM exit, the hypervisor's handler and the VM entry.
;
; For each kind, a loop of BENCH_ITERS exiting instructions is timed, and so is the same loop
; without the exiting instruction (the loop overhead). Each is run BENCH_BATCHES times and the
; minimum of each is kept: a batch that the scheduler preempted (the spin VM runs beside this one)
; only ever gets longer, so the minimum is the undisturbed one. Figure = (min loop - min overhead)
; / BENCH_ITERS, printed as "BENCH exit.<kind> N".
;   exit.cpuid       CPUID leaf 0 (always exits: SDM Vol 3C, "Instructions That Cause VM Exits
;                    Unconditionally")
;   exit.io_out      OUT DX, AL to an unassigned port (exits through the I/O bitmap; nothing is
;                    printed)
;   exit.mmio_write  MOV [SCRATCH], EAX on the test device (EPT violation, decoded and emulated)
;   exit.io_in_dev   IN AL, DX from the debug console's port 0xE9 (a port with a device: the exit
;                    goes through the full I/O path and the device's read, which returns 0xE9)
; RDTSC itself does not exit ("RDTSC exiting" is off; even if it were, it is outside the loops).
%include "tsg.inc"
org TSG_LOAD
bits 64
    TSG_HEADER 64, start, pml4, 0x7000
%include "lib64.inc"

%ifndef BENCH_ITERS
%define BENCH_ITERS 1000
%endif
%ifndef BENCH_BATCHES
%define BENCH_BATCHES 5
%endif

; rdtsc into r8 (full 64 bits)
%macro TSC 1
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov %1, rax
%endmacro

; Each loop_* procedure runs its loop BENCH_ITERS times and returns the TSC delta in rax; the
; two variants of a kind share everything but the exiting instruction.
start:
    call lm_init64
    cld

    lea r12, [rel loop_cpuid]
    lea r13, [rel loop_cpuid_base]
    lea r14, [rel name_cpuid]
    call measure
    lea r12, [rel loop_out]
    lea r13, [rel loop_out_base]
    lea r14, [rel name_out]
    call measure
    lea r12, [rel loop_mmio]
    lea r13, [rel loop_mmio_base]
    lea r14, [rel name_mmio]
    call measure
    lea r12, [rel loop_in_dev]
    lea r13, [rel loop_in_dev_base]
    lea r14, [rel name_in_dev]
    call measure
    jmp exit64

; r12 = exiting loop, r13 = the same loop without the exit, r14 = name (NUL-terminated)
; prints "BENCH <name> N", or a FAIL line when the exiting loop was not slower
measure:
    mov r10, -1                  ; min of the exiting loop
    mov r11, -1                  ; min of the overhead loop
    mov r15d, BENCH_BATCHES
.batch:
    call r12
    cmp rax, r10
    cmovb r10, rax
    call r13
    cmp rax, r11
    cmovb r11, rax
    dec r15d
    jnz .batch
    cmp r10, r11
    jbe .broken
    mov rax, r10
    sub rax, r11
    xor edx, edx
    mov ecx, BENCH_ITERS
    div rcx                      ; undisturbed loops are deterministic: the remainder is 0
    push rax
    lea rdi, [rel linebuf_bench]
    lea rsi, [rel str_bench]
    call strcpy64
    mov rsi, r14
    call strcpy64
    mov byte [rdi], ' '
    inc rdi
    pop rax                      ; strcpy64 clobbered al
    call dec64
    mov word [rdi], 10           ; "\n", NUL
    lea rsi, [rel linebuf_bench]
    call puts64
    ret
.broken:
    mov rsi, r14
    call fail64                  ; "FAIL exit.<kind>": the exiting loop was not slower
    ret

; TIMED ... TIMED_END: one measuring loop, the body between them run BENCH_ITERS times (esi
; counts; the body must keep esi, r8 and r9); returns the TSC delta in rax.
%macro TIMED 0
    %push timed
    TSC r8
    mov esi, BENCH_ITERS
%$l:
%endmacro
%macro TIMED_END 0
    dec esi
    jnz %$l
    TSC r9
    mov rax, r9
    sub rax, r8
    ret
    %pop
%endmacro

loop_cpuid:
    TIMED
    xor eax, eax
    xor ecx, ecx
    cpuid
    TIMED_END
loop_cpuid_base:
    TIMED
    xor eax, eax
    xor ecx, ecx
    TIMED_END

loop_out:
    TIMED
    mov dx, UNASSIGNED_PORT
    out dx, al
    TIMED_END
loop_out_base:
    TIMED
    mov dx, UNASSIGNED_PORT
    TIMED_END

loop_mmio:
    mov ebx, TESTDEV
    TIMED
    mov [rbx + TD_SCRATCH], eax
    TIMED_END
loop_mmio_base:
    mov ebx, TESTDEV
    TIMED
    TIMED_END

loop_in_dev:
    TIMED
    mov dx, E9_PORT
    in al, dx
    TIMED_END
loop_in_dev_base:
    TIMED
    mov dx, E9_PORT
    TIMED_END

name_cpuid: db "exit.cpuid", 0
name_out: db "exit.io_out", 0
name_mmio: db "exit.mmio_write", 0
name_in_dev: db "exit.io_in_dev", 0
str_bench: db "BENCH ", 0
linebuf_bench: times 64 db 0

%include "pt64.inc"
