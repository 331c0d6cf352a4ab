; ts2native Linux runtime: buffered stdout/stderr output, line input, hex formatting and
; parsing. No libc: Linux x86-64 system calls (read = 0, write = 1). All routines are System V
; and preserve rbx, rbp, r12-r15. See tools/ts2native/README.md ("Runtime helpers").

default rel
bits 64

global __ts2n_out_byte, __ts2n_out_str, __ts2n_out_hex, __ts2n_flush, __ts2n_set_out_fd
global __ts2n_read_line, __ts2n_parse_hex
global __ts2n_print_begin, __ts2n_print_value, __ts2n_print_end

OUT_SIZE equ 65536
IN_SIZE  equ 65536
LINE_MAX equ 65536

section .bss
alignb 16
outbuf:  resb OUT_SIZE
inbuf:   resb IN_SIZE
global __ts2n_linebuf
__ts2n_linebuf: resb LINE_MAX + 1

section .data
align 8
outlen:  dq 0
outfd:   dq 1
inpos:   dq 0
inlen:   dq 0
ineof:   dq 0

section .text

; __ts2n_set_out_fd(rdi = fd): flushes, then directs output to fd (1 stdout, 2 stderr)
__ts2n_set_out_fd:
    push rdi
    call __ts2n_flush
    pop rdi
    mov [outfd], rdi
    ret

; __ts2n_out_byte(dil)
__ts2n_out_byte:
    mov rax, [outlen]
    cmp rax, OUT_SIZE
    jb .room
    push rdi
    call __ts2n_flush
    pop rdi
    mov rax, [outlen]
.room:
    lea rcx, [outbuf]
    mov [rcx+rax], dil
    inc rax
    mov [outlen], rax
    ret

; __ts2n_out_str(rdi = NUL-terminated string)
__ts2n_out_str:
    push rbx
    mov rbx, rdi
.next:
    movzx edi, byte [rbx]
    test edi, edi
    jz .done
    call __ts2n_out_byte
    inc rbx
    jmp .next
.done:
    pop rbx
    ret

; __ts2n_out_hex(rdi = value, esi = number of digits, lowercase, leading zeros)
__ts2n_out_hex:
    push rbx
    push r12
    push r13
    mov rbx, rdi
    mov r12d, esi
.digit:
    dec r12d
    js .done
    lea ecx, [r12*4]
    mov rax, rbx
    shr rax, cl
    and eax, 15
    lea rdx, [hexdigits]
    movzx edi, byte [rdx+rax]
    call __ts2n_out_byte
    jmp .digit
.done:
    pop r13
    pop r12
    pop rbx
    ret

; __ts2n_flush(): writes the buffer, retrying partial writes and EINTR
__ts2n_flush:
    push rbx
    push r12
    push r13
    xor ebx, ebx                ; bytes written
    mov r12, [outlen]
.again:
    cmp rbx, r12
    jae .done
    mov eax, 1                  ; write
    mov rdi, [outfd]
    lea rsi, [outbuf]
    add rsi, rbx
    mov rdx, r12
    sub rdx, rbx
    syscall
    cmp rax, -4                 ; -EINTR
    je .again
    test rax, rax
    jle .done                   ; error: drop the output (nothing sensible to do)
    add rbx, rax
    jmp .again
.done:
    mov qword [outlen], 0
    pop r13
    pop r12
    pop rbx
    ret

; read_byte -> eax = byte, or -1 at end of input
read_byte:
    mov rax, [inpos]
    cmp rax, [inlen]
    jb .have
    cmp qword [ineof], 0
    jne .eof
.fill:
    xor eax, eax                ; read(0, inbuf, IN_SIZE)
    xor edi, edi
    lea rsi, [inbuf]
    mov edx, IN_SIZE
    syscall
    cmp rax, -4
    je .fill
    test rax, rax
    jle .seteof
    mov [inlen], rax
    mov qword [inpos], 0
    xor eax, eax
.have:
    lea rcx, [inbuf]
    movzx edx, byte [rcx+rax]
    inc rax
    mov [inpos], rax
    mov eax, edx
    ret
.seteof:
    mov qword [ineof], 1
.eof:
    mov eax, -1
    ret

; __ts2n_read_line() -> rax = length of the line in __ts2n_linebuf (NUL-terminated, without the
; newline), -1 at end of input, -2 if the line is longer than LINE_MAX (the rest is skipped)
__ts2n_read_line:
    push rbx
    push r12
    xor ebx, ebx
    xor r12d, r12d              ; overflow flag
.next:
    call read_byte
    cmp eax, -1
    je .end
    cmp eax, 10
    je .eol
    cmp rbx, LINE_MAX
    jae .over
    lea rcx, [__ts2n_linebuf]
    mov [rcx+rbx], al
    inc rbx
    jmp .next
.over:
    mov r12d, 1
    jmp .next
.end:
    test rbx, rbx
    jnz .eol
    mov rax, -1
    jmp .out
.eol:
    lea rcx, [__ts2n_linebuf]
    cmp rbx, 0
    je .term
    cmp byte [rcx+rbx-1], 13    ; tolerate CRLF
    jne .term
    dec rbx
.term:
    mov byte [rcx+rbx], 0
    mov rax, rbx
    test r12d, r12d
    jz .out
    mov rax, -2
.out:
    pop r12
    pop rbx
    ret

; __ts2n_parse_hex(rdi = pointer into a NUL-terminated string)
;   skips spaces, reads 1-16 hex digits; returns rax = value, rdx = pointer after the number,
;   ecx = 1 on success, 0 if no number or more than 16 digits or a non-hex character follows
__ts2n_parse_hex:
.skip:
    cmp byte [rdi], ' '
    jne .start
    inc rdi
    jmp .skip
.start:
    xor eax, eax
    xor r8d, r8d                ; digit count
.loop:
    movzx ecx, byte [rdi]
    lea edx, [rcx-'0']
    cmp edx, 9
    jbe .dig
    or ecx, 0x20                ; lowercase
    lea edx, [rcx-'a']
    cmp edx, 5
    ja .end
    add edx, 10
.dig:
    shl rax, 4
    or rax, rdx
    inc r8d
    inc rdi
    jmp .loop
.end:
    mov rdx, rdi
    xor ecx, ecx
    test r8d, r8d
    jz .ret
    cmp r8d, 16
    ja .ret
    movzx r9d, byte [rdi]
    cmp r9d, ' '
    je .ok
    test r9d, r9d
    jnz .ret
.ok:
    mov ecx, 1
.ret:
    ret

section .text

; Print helpers for import implementations (spectest below, runtime/<module>.asm):
; __ts2n_print_begin() writes "P"; __ts2n_print_value(edi = type code 0 i32 | 1 i64 | 2 f32 |
; 3 f64, rsi = raw bits) writes " <type> <hex>"; __ts2n_print_end() ends the line.
__ts2n_print_begin:
    mov edi, 'P'
    jmp __ts2n_out_byte

__ts2n_print_end:
    mov edi, 10
    jmp __ts2n_out_byte

__ts2n_print_value:
    push rbx
    push r12
    push r13
    mov ebx, edi
    mov r12, rsi
    mov edi, ' '
    call __ts2n_out_byte
    and ebx, 3
    lea rax, [typenames]
    lea rdi, [rax+rbx*4]
    call __ts2n_out_str
    mov edi, ' '
    call __ts2n_out_byte
    mov rdi, r12
    mov esi, 8
    test ebx, 1                    ; i64 and f64 (codes 1 and 3) have 16 digits
    jz .w
    mov esi, 16
.w:
    call __ts2n_out_hex
    pop r13
    pop r12
    pop rbx
    ret

section .rodata
hexdigits: db "0123456789abcdef"
typenames: db "i32", 0, "i64", 0, "f32", 0, "f64", 0
