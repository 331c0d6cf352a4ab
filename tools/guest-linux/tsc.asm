; /bin/tsc for the reference Linux guest: prints the time-stamp counter in decimal and a newline.
;
; Why a hand-written static binary: the init script needs the TSC at a precise point (the marker
; line) so the hypervisor can compare its own counters with what the guest saw, and neither
; busybox nor the kernel exposes RDTSC to a shell. No libc keeps it tiny and free of start-up
; work that would blur the reading. x86-64 Linux ELF, built with `nasm -f elf64` + `ld.lld`.

bits 64
default rel

SYS_write equ 1
SYS_exit  equ 60

section .text
global _start
_start:
        ; Read the counter first, before any other work, so the value is as close as possible to
        ; the moment the shell started us. LFENCE keeps RDTSC from executing ahead of earlier
        ; instructions (Intel SDM: RDTSC is not serializing).
        lfence
        rdtsc
        shl     rdx, 32
        or      rax, rdx                ; rax = 64-bit TSC

        ; Convert to decimal, filling the buffer backwards from the newline.
        lea     rdi, [buf_end]
        mov     byte [rdi - 1], 10      ; '\n'
        lea     rsi, [rdi - 1]          ; rsi = first byte of the output so far
        mov     rcx, 10
.digit: xor     edx, edx
        div     rcx                     ; rax = rax / 10, rdx = last digit
        add     dl, '0'
        dec     rsi
        mov     [rsi], dl
        test    rax, rax
        jnz     .digit                  ; runs at least once, so 0 prints as "0"

        ; write(1, rsi, buf_end - rsi). A short write to a pipe or tty of <= 21 bytes is not
        ; expected; if write fails we exit 1 so `$(tsc)` users can tell.
        mov     eax, SYS_write
        mov     edi, 1
        lea     rdx, [buf_end]
        sub     rdx, rsi
        mov     r8, rdx                 ; remember the length to check the result
        syscall
        xor     edi, edi
        cmp     rax, r8
        setne   dil                     ; exit status 0 on a full write, 1 otherwise
        mov     eax, SYS_exit
        syscall

section .bss
        ; 2^64-1 has 20 decimal digits, plus the newline.
buf:    resb 21
buf_end:
