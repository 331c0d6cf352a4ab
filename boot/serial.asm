; serial.asm -- the boot stub's console: COM1 16550, polled. Used for the stub's own reports
; (exceptions, traps, boot warnings); the core drives the same UART itself through hw_outb/inb.
; Every routine preserves all registers except where noted, so exception and trap paths can call
; them without bookkeeping.

%include "defs.inc"
%include "serial.inc"

BITS 64
section .text

; console_init -- program the UART (115200 8N1, FIFOs). Clobbers nothing.
global console_init
console_init:
    push rax
    push rdx
    UART_INIT
    pop rdx
    pop rax
    ret

; console_putc -- al = byte.
global console_putc
console_putc:
    push rax
    push rcx
    push rdx
    UART_PUTC
    pop rdx
    pop rcx
    pop rax
    ret

; console_puts -- rsi = NUL-terminated string. A null pointer prints "(null)".
global console_puts
console_puts:
    push rax
    push rsi
    test rsi, rsi
    jnz .next
    lea rsi, [rel str_null]
.next:
    lodsb
    test al, al
    jz .done
    cmp al, 10                          ; LF -> CR LF: a serial terminal needs both
    jne .put
    mov al, 13
    call console_putc
    mov al, 10
.put:
    call console_putc
    jmp .next
.done:
    pop rsi
    pop rax
    ret

; console_puthex -- rax = value, printed as 0x followed by the hex digits, no leading zeros.
global console_puthex
console_puthex:
    push rax
    push rbx
    push rcx
    push rdx
    mov rbx, rax
    mov al, '0'
    call console_putc
    mov al, 'x'
    call console_putc
    mov ecx, 16                         ; skip leading zero nibbles, keep at least one digit
.skip:
    cmp ecx, 1
    je .digits
    mov rax, rbx
    shr rax, 60
    jnz .digits
    shl rbx, 4
    dec ecx
    jmp .skip
.digits:
    rol rbx, 4
    mov eax, ebx
    and eax, 0xF
    lea rdx, [rel hex_digits]
    mov al, [rdx + rax]
    call console_putc
    dec ecx
    jnz .digits
    pop rdx
    pop rcx
    pop rbx
    pop rax
    ret

; console_putdec -- rax = unsigned value, in decimal.
global console_putdec
console_putdec:
    push rax
    push rcx
    push rdx
    push rbx
    mov ebx, 10
    xor ecx, ecx
.div:
    xor edx, edx
    div rbx
    push rdx
    inc ecx
    test rax, rax
    jnz .div
.out:
    pop rax
    add al, '0'
    call console_putc
    dec ecx
    jnz .out
    pop rbx
    pop rdx
    pop rcx
    pop rax
    ret

; console_drain -- wait until the transmitter is empty (LSR.TEMT). Called before a CPU stops:
; Bochs' com1 file backend drops bytes that are still inside the UART when emulation ends.
global console_drain
console_drain:
    push rax
    push rcx
    push rdx
    UART_WAIT LSR_TEMT
    pop rdx
    pop rcx
    pop rax
    ret

; console_lock / console_unlock -- keep multi-line reports of different CPUs apart. The wait is
; bounded: a CPU that died holding the lock must not silence the report of the next one.
global console_lock
console_lock:
    push rax
    push rcx
    mov ecx, 10000000
.try:
    mov al, 1
    xchg al, [rel console_busy]
    test al, al
    jz .held
    pause
    dec ecx
    jnz .try
.held:
    pop rcx
    pop rax
    ret

global console_unlock
console_unlock:
    mov byte [rel console_busy], 0
    ret

section .rodata
hex_digits: db "0123456789abcdef"
str_null:   db "(null)", 0

section .data
console_busy: db 0
