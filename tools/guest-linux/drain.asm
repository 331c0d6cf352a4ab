; /bin/drain for the reference Linux guest: waits until everything written to stdout has left
; the terminal, i.e. tcdrain(1), then exits (status 0, or 1 if the ioctl failed).
;
; Why: /init prints its last marker and then powers the machine off at once. The kernel queues a
; process's terminal output and sends it from the UART interrupt, so without this wait the
; power-off can cut off the marker the tests look for. Busybox has no applet that drains a
; terminal, hence this static helper (no libc), built like tsc.asm.

bits 64

SYS_ioctl equ 16
SYS_exit  equ 60
TCSBRK    equ 0x5409                    ; with a non-zero argument: wait for output, send no break

section .text
global _start
_start:
        mov     eax, SYS_ioctl
        mov     edi, 1                  ; stdout
        mov     esi, TCSBRK
        mov     edx, 1                  ; non-zero: drain only (this is what glibc's tcdrain does)
        syscall
        xor     edi, edi
        test    rax, rax
        setnz   dil                     ; 0 on success, 1 on -errno
        mov     eax, SYS_exit
        syscall
