; percpu.asm -- per-CPU blocks and kernel stacks, and the routine that gives a CPU its local
; state (TSS + TR, IDT, IA32_GS_BASE). Sized for MAX_CPUS so the AP start-up path (a later
; issue) only has to pick an index, switch to cpu_stack_top(index) and call cpu_local_init.
;
; Stack of CPU i: cpu_stacks + i*STACK_SIZE .. + STACK_SIZE. [gs:0] (the stack limit compiled
; code checks in its prologues, native-abi.md) is STACK_RESERVE above the bottom, so a trap for
; "call stack exhausted" still has 16 KiB for the trap routine and the console.

%include "defs.inc"

extern tss_setup, idt_load

BITS 64
section .text

; cpu_stack_top -- edi = CPU index. Returns rax = initial rsp of that CPU (16-byte aligned).
global cpu_stack_top
cpu_stack_top:
    mov eax, edi
    inc eax
    imul rax, rax, STACK_SIZE
    lea rcx, [rel cpu_stacks]
    add rax, rcx
    ret

; cpu_local_init -- edi = CPU index (< MAX_CPUS). Fills the CPU's block, loads TR and the IDT and
; points IA32_GS_BASE at the block (SDM Vol. 3 §3.4.4.1: in 64-bit mode the GS base comes from
; the MSR; the selector in GS is 0). Callee-saved registers are preserved (SysV).
global cpu_local_init
cpu_local_init:
    push rbx
    mov ebx, edi
    mov eax, ebx
    shl eax, 6                          ; * PCPU_SIZE
    lea rsi, [rel pcpu_blocks]
    add rsi, rax                        ; rsi = this CPU's block
    mov eax, ebx
    imul rax, rax, STACK_SIZE
    lea rcx, [rel cpu_stacks]
    add rax, rcx                        ; bottom of this CPU's stack
    lea rdx, [rax + STACK_RESERVE]
    mov [rsi + PCPU_STACK_LIMIT], rdx
    mov [rsi + PCPU_INDEX], rbx
    mov [rsi + PCPU_SELF], rsi
    add rax, STACK_SIZE
    mov [rsi + PCPU_STACK_TOP], rax
    push rsi
    mov edi, ebx
    call tss_setup                      ; rax = TSS
    pop rsi
    mov [rsi + PCPU_TSS], rax
    call idt_load
    mov ecx, MSR_GS_BASE
    mov eax, esi
    mov rdx, rsi
    shr rdx, 32
    wrmsr
    pop rbx
    ret

%if PCPU_SIZE != 64
%error "cpu_local_init scales the index by a shift of 6: keep PCPU_SIZE 64"
%endif

section .bss
alignb 64
global pcpu_blocks
pcpu_blocks: resb PCPU_SIZE * MAX_CPUS
alignb 4096
global cpu_stacks
cpu_stacks:  resb STACK_SIZE * MAX_CPUS
