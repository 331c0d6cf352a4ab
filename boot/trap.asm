; trap.asm -- the bare-metal runtime's side of wasm traps and memory growth
; (native-abi.md "Traps" and "Memory").

%include "defs.inc"

extern console_lock, console_unlock, console_puts, console_putdec
extern hw_halt
extern __ts2n_trap_reasons, __ts2n_mem_pages

BITS 64
section .text

; __ts2n_trap(rdi = trap code, rsi = NUL-terminated wasm function name) -- never returns.
; Prints "TRAP: <reason> in <function>" with the reason from the compiled module's table
; __ts2n_trap_reasons[code], then stops this CPU. Runs on what is left of the stack: for "call
; stack exhausted" that is the 16 KiB below [gs:0] (percpu.asm), far more than this path uses.
global __ts2n_trap
__ts2n_trap:
    cld
    and rsp, -16                        ; reached by call or jmp from any frame: realign
    mov r12, rdi
    mov r13, rsi
    call console_lock
    lea rsi, [rel str_trap]
    call console_puts
    test r12, r12
    jz .unknown
    cmp r12, TRAP_CODE_MAX
    ja .unknown
    lea rax, [rel __ts2n_trap_reasons]
    mov rsi, [rax + r12*8]
    test rsi, rsi
    jz .unknown
    call console_puts
    jmp .where
.unknown:
    lea rsi, [rel str_unknown]
    call console_puts
    mov rax, r12
    call console_putdec
.where:
    lea rsi, [rel str_in]
    call console_puts
    mov rsi, r13                        ; console_puts prints "(null)" for a null name
    call console_puts
    lea rsi, [rel str_nl]
    call console_puts
    call console_unlock
    jmp hw_halt

; __ts2n_memory_grow(rdi = delta pages) -> eax = old size in pages, or -1.
; Bare metal has no memory to add: linear memory is physical RAM and its first 32 MiB are the
; wasm static data + heap (native-abi.md). Growing by 0 pages is a query and succeeds, as the wasm
; spec's memory.grow requires (it returns the old size and changes nothing).
global __ts2n_memory_grow
__ts2n_memory_grow:
    test edi, edi
    jnz .fail
    mov rax, [rel __ts2n_mem_pages]
    ret
.fail:
    mov eax, -1
    ret

section .rodata
str_trap:    db 10, "TRAP: ", 0
str_unknown: db "unknown trap code ", 0
str_in:      db " in ", 0
str_nl:      db 10, 0
