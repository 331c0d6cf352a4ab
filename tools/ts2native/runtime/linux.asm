; ts2native Linux runtime (static executables, no libc): process setup, linear memory, the wasm
; stack and its limit, trap delivery, memory.grow, and the command driver (tools/ts2native/README.md
; "Executables"). Linux x86-64 system call numbers: mmap 9, mprotect 10, rt_sigaction 13,
; sigaltstack 131, arch_prctl 158, exit_group 231.

default rel
bits 64

global __ts2n_entry, __ts2n_trap, __ts2n_memory_grow, __ts2n_run_guarded, __ts2n_exit
extern __ts2n_init, __ts2n_membase, __ts2n_mem_pages, __ts2n_mem_max_pages
extern __ts2n_trap_reasons, __ts2n_functab, __ts2n_exports
extern __ts2n_out_byte, __ts2n_out_str, __ts2n_out_hex, __ts2n_flush, __ts2n_set_out_fd
extern __ts2n_serve

RESERVE     equ 0x200010000        ; 8 GiB + 64 KiB of address space for linear memory (native-abi.md)
STACK_SIZE  equ 8*1024*1024        ; the wasm stack
STACK_GUARD equ 65536              ; stack limit = bottom + 64 KiB: room for the trap path
ALT_SIZE    equ 65536              ; signal alternate stack
PROT_RW     equ 3
MAP_FLAGS   equ 0x22               ; MAP_PRIVATE | MAP_ANONYMOUS
MAP_NORES   equ 0x4022             ; ... | MAP_NORESERVE
SA_FLAGS    equ 0x0C000004         ; SA_SIGINFO | SA_ONSTACK | SA_RESTORER
MAX_TRAP    equ 12

section .bss
alignb 16
altstack:   resb ALT_SIZE
gsblock:    resq 4                 ; [gs:0] = stack limit (native-abi.md "Registers and per-CPU state")

section .data
align 8
jmp_rsp:    dq 0                   ; innermost __ts2n_run_guarded frame
global __ts2n_trap_code, __ts2n_trap_name
__ts2n_trap_code: dq 0
__ts2n_trap_name: dq 0
sigact:     dq segv_handler, SA_FLAGS, sig_restorer, 0
altdesc:    dq altstack, 0, ALT_SIZE
dflact:     dq 0, 0, 0, 0

section .text

; Process entry (ld -e __ts2n_entry): [rsp] = argc, [rsp+8] = argv[0], ...
__ts2n_entry:
    xor r12d, r12d                 ; r12 = serve mode
    mov rax, [rsp]
    cmp rax, 2
    jb .args_done
    ja .usage
    mov rsi, [rsp+16]
    lea rdi, [str_serve]
.cmp:
    mov al, [rsi]
    cmp al, [rdi]
    jne .usage
    test al, al
    jz .serve_flag
    inc rsi
    inc rdi
    jmp .cmp
.serve_flag:
    mov r12d, 1
    jmp .args_done
.usage:
    mov edi, 2
    call __ts2n_set_out_fd
    lea rdi, [str_usage]
    call __ts2n_out_str
    call __ts2n_flush
    mov edi, 2
    jmp __ts2n_exit
.args_done:
    ; linear memory: reserve, then make the current pages read-write
    mov eax, 9
    xor edi, edi
    mov rsi, RESERVE
    xor edx, edx                   ; PROT_NONE
    mov r10d, MAP_NORES
    mov r8, -1
    xor r9d, r9d
    syscall
    cmp rax, -4096
    ja .oom
    mov [__ts2n_membase], rax
    mov rsi, [__ts2n_mem_pages]
    shl rsi, 16
    jz .mem_done
    mov rdi, rax
    mov edx, PROT_RW
    mov eax, 10
    syscall
    test rax, rax
    jnz .oom
.mem_done:
    ; the wasm stack
    mov eax, 9
    xor edi, edi
    mov esi, STACK_SIZE
    mov edx, PROT_RW
    mov r10d, MAP_FLAGS
    mov r8, -1
    xor r9d, r9d
    syscall
    cmp rax, -4096
    ja .oom
    mov rbx, rax
    lea rcx, [rax+STACK_GUARD]
    mov [gsblock], rcx
    mov eax, 158                   ; arch_prctl(ARCH_SET_GS, gsblock)
    mov edi, 0x1001
    lea rsi, [gsblock]
    syscall
    test rax, rax
    jnz .oom
    mov eax, 131                   ; sigaltstack(&altdesc, 0)
    lea rdi, [altdesc]
    xor esi, esi
    syscall
    mov edi, 11                    ; SIGSEGV
    call install
    mov edi, 7                     ; SIGBUS
    call install
    lea rsp, [rbx+STACK_SIZE]      ; run on the wasm stack from here on
    lea rdi, [__ts2n_init]
    call __ts2n_run_guarded
    test r12d, r12d
    jz run_mode
    mov edi, eax
    call __ts2n_serve              ; never returns
.oom:
    mov edi, 2
    call __ts2n_set_out_fd
    lea rdi, [str_oom]
    call __ts2n_out_str
    call __ts2n_flush
    mov edi, 2
    jmp __ts2n_exit

install:
    mov eax, 13                    ; rt_sigaction(sig, &sigact, 0, 8)
    lea rsi, [sigact]
    xor edx, edx
    mov r10d, 8
    syscall
    ret

; Run mode: __ts2n_init done (eax = trap code); call _start or main if exported with no params.
run_mode:
    test eax, eax
    jnz .trapped
    mov rbx, [__ts2n_exports]
    lea r12, [__ts2n_exports+8]
.find:
    test rbx, rbx
    jz .exit0
    cmp qword [r12], 0             ; function?
    jne .skip
    mov rax, [r12+16]
    cmp dword [rax], 0             ; no parameters
    jne .skip
    mov rdi, [r12+24]
    lea rsi, [str_start]
    call streq
    test eax, eax
    jnz .call
    mov rdi, [r12+24]
    lea rsi, [str_main]
    call streq
    test eax, eax
    jnz .call
.skip:
    add r12, 32
    dec rbx
    jmp .find
.call:
    mov rdi, [r12+8]
    lea rsi, [argsbuf]
    lea rdx, [resbuf]
    call __ts2n_run_guarded
    test eax, eax
    jnz .trapped
.exit0:
    call __ts2n_flush
    xor edi, edi
    jmp __ts2n_exit
.trapped:
    mov ebx, eax
    mov edi, 2
    call __ts2n_set_out_fd
    lea rdi, [str_trap]
    call __ts2n_out_str
    mov edi, ebx
    call reason
    mov rdi, rax
    call __ts2n_out_str
    lea rdi, [str_in]
    call __ts2n_out_str
    mov rdi, [__ts2n_trap_name]
    call __ts2n_out_str
    mov edi, 10
    call __ts2n_out_byte
    call __ts2n_flush
    mov edi, 3
    jmp __ts2n_exit

; reason(edi = code) -> rax = reason string
reason:
    lea rax, [str_unknown]
    cmp edi, MAX_TRAP
    ja .r
    test edi, edi
    jz .r
    lea rcx, [__ts2n_trap_reasons]
    mov rax, [rcx+rdi*8]
.r:
    ret

; streq(rdi, rsi) -> eax = 1 if the NUL-terminated strings are equal
streq:
    mov al, [rdi]
    cmp al, [rsi]
    jne .no
    test al, al
    jz .yes
    inc rdi
    inc rsi
    jmp streq
.yes:
    mov eax, 1
    ret
.no:
    xor eax, eax
    ret

; __ts2n_exit(edi = status): flushes nothing (callers flush), exit_group
__ts2n_exit:
    mov eax, 231
    syscall
    hlt

; __ts2n_run_guarded(rdi = function, rsi, rdx = its two arguments) -> eax = 0, or the trap code
; if the call trapped. Re-entrant: nested calls (imports calling exports) each catch their own traps.
__ts2n_run_guarded:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    push qword [jmp_rsp]           ; 7 pushes: rsp is 16-byte aligned
    mov [jmp_rsp], rsp
    mov rax, rdi
    mov rdi, rsi
    mov rsi, rdx
    call rax
    xor eax, eax
.back:
    pop qword [jmp_rsp]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret

; __ts2n_trap(rdi = code, rsi = function name): unwinds to the innermost __ts2n_run_guarded
__ts2n_trap:
    cld                            ; a fault inside a backward rep movsb leaves DF set
    mov [__ts2n_trap_code], rdi
    mov [__ts2n_trap_name], rsi
    mov eax, edi
    mov rsp, [jmp_rsp]
    test rsp, rsp
    jz .fatal
    jmp __ts2n_run_guarded.back
.fatal:
    mov edi, 4
    jmp __ts2n_exit

; SIGSEGV/SIGBUS handler (SA_SIGINFO, on the alternate stack): a fault inside the linear-memory
; reservation becomes trap 5. The interrupted context is redirected to __ts2n_trap and the
; handler returns through rt_sigreturn, so the kernel restores the signal mask.
; ucontext_t: uc_mcontext.gregs at +40; REG_RDI 8, REG_RSI 9, REG_RSP 15, REG_RIP 16.
segv_handler:
    mov rax, [rsi+16]              ; siginfo.si_addr
    sub rax, [__ts2n_membase]
    mov rcx, RESERVE
    cmp rax, rcx
    jae .foreign
    mov r8, [rdx+40+16*8]          ; faulting rip -> function name
    lea r9, [str_unknown_fn]
    mov rcx, [__ts2n_functab]
    lea r10, [__ts2n_functab+8]
.scan:
    test rcx, rcx
    jz .found
    cmp r8, [r10]
    jb .nextf
    cmp r8, [r10+8]
    jae .nextf
    mov r9, [r10+16]
    jmp .found
.nextf:
    add r10, 24
    dec rcx
    jmp .scan
.found:
    mov qword [rdx+40+8*8], 5
    mov [rdx+40+9*8], r9
    mov rax, [rdx+40+15*8]
    and rax, -16
    sub rax, 8                     ; as if called: rsp = 8 mod 16
    mov [rdx+40+15*8], rax
    lea rax, [__ts2n_trap]
    mov [rdx+40+16*8], rax
    ret
.foreign:
    ; not a wasm memory access: a bug. Restore the default action; the fault repeats and kills us.
    mov eax, 13
    lea rsi, [dflact]
    xor edx, edx
    mov r10d, 8
    syscall
    ret

sig_restorer:
    mov eax, 15                    ; rt_sigreturn
    syscall

; __ts2n_memory_grow(rdi = delta pages) -> eax = old size in pages, or -1 (native-abi.md "Memory")
__ts2n_memory_grow:
    push rbx
    push r12
    push r13
    mov r12, [__ts2n_mem_pages]
    mov rbx, rdi
    lea r13, [r12+rdi]
    cmp r13, [__ts2n_mem_max_pages]
    ja .fail
    test rbx, rbx
    jz .ok
    mov rdi, r12
    shl rdi, 16
    add rdi, [__ts2n_membase]
    mov rsi, rbx
    shl rsi, 16
    mov edx, PROT_RW
    mov eax, 10
    syscall
    test rax, rax
    jnz .fail
    mov [__ts2n_mem_pages], r13
.ok:
    mov eax, r12d
    jmp .out
.fail:
    mov eax, -1
.out:
    pop r13
    pop r12
    pop rbx
    ret

section .bss
global __ts2n_argsbuf, __ts2n_resbuf
alignb 16
argsbuf:
__ts2n_argsbuf: resq 1024
resbuf:
__ts2n_resbuf:  resq 1024

section .rodata
str_serve:   db "--serve", 0
str_start:   db "_start", 0
str_main:    db "main", 0
str_trap:    db "trap: ", 0
str_in:      db " in ", 0
str_unknown: db "unknown trap", 0
str_unknown_fn: db "?", 0
str_usage:   db "usage: PROGRAM [--serve]", 10, 0
str_oom:     db "ts2native runtime: cannot set up memory, stack or signal handling", 10, 0
