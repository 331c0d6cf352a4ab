; ts2native Linux runtime: the --serve command loop (tools/ts2native/README.md "The serve
; protocol"). Numbers are lowercase hex without 0x; values are raw bit patterns.
;   I ok | I T <code>            after instantiation
;   C <export> <arg>...  ->  P ... lines printed by imports, then R <result>... | T <code>
;   G <export>           ->  R <value>
;   Q or end of input    ->  exit 0
; A malformed command gets "E <message>" and the loop goes on. Every reply is flushed.

default rel
bits 64

global __ts2n_serve
extern __ts2n_exports, __ts2n_run_guarded, __ts2n_exit, __ts2n_linebuf
extern __ts2n_out_byte, __ts2n_out_str, __ts2n_out_hex, __ts2n_flush
extern __ts2n_read_line, __ts2n_parse_hex, __ts2n_argsbuf, __ts2n_resbuf

MAX_ARGS equ 1024

section .text

; __ts2n_serve(edi = trap code of instantiation, 0 if none): never returns
__ts2n_serve:
    mov ebx, edi
    lea rdi, [str_I]
    call __ts2n_out_str
    test ebx, ebx
    jnz .itrap
    lea rdi, [str_ok]
    call __ts2n_out_str
    jmp .ireply
.itrap:
    lea rdi, [str_T]
    call __ts2n_out_str
    mov edi, ebx
    call out_code
.ireply:
    call reply_end
.loop:
    call __ts2n_read_line
    cmp rax, -1
    je .quit
    cmp rax, -2
    je .toolong
    lea rbx, [__ts2n_linebuf]
    movzx eax, byte [rbx]
    test eax, eax
    jz .loop                       ; empty line
    cmp eax, 'Q'
    je .quit
    cmp eax, 'C'
    je cmd_call
    cmp eax, 'G'
    je cmd_get
    lea rdi, [err_cmd]
    jmp error
.toolong:
    lea rdi, [err_long]
    jmp error
.quit:
    call __ts2n_flush
    xor edi, edi
    jmp __ts2n_exit

; error(rdi = message): "E <message>" and back to the loop
error:
    push rdi
    lea rdi, [str_E]
    call __ts2n_out_str
    pop rdi
    call __ts2n_out_str
    call reply_end
    jmp __ts2n_serve.loop

reply_end:
    mov edi, 10
    call __ts2n_out_byte
    jmp __ts2n_flush

; out_code(edi = trap code) in hex
out_code:
    mov esi, 1
    cmp edi, 16
    jb .one
    mov esi, 2
.one:
    jmp __ts2n_out_hex

; export_entry(rbx = pointer after the command letter) -> r12 = export entry, rbx advanced;
; jumps to error on a bad index
export_entry:
    mov rdi, rbx
    call __ts2n_parse_hex
    test ecx, ecx
    jz .bad
    mov rbx, rdx
    cmp rax, [__ts2n_exports]
    jae .range
    shl rax, 5
    lea r12, [__ts2n_exports+8]
    add r12, rax
    ret
.bad:
    pop rax                        ; drop our return address
    lea rdi, [err_num]
    jmp error
.range:
    pop rax
    lea rdi, [err_range]
    jmp error

cmd_call:
    inc rbx
    call export_entry
    cmp qword [r12], 0
    jne .notfunc
    mov r13, [r12+16]              ; signature: dword nparams, dword nresults, type bytes
    mov r14d, [r13]
    cmp r14d, MAX_ARGS
    ja .toomany
    xor r15d, r15d
.arg:
    cmp r15d, r14d
    jae .args_done
    mov rdi, rbx
    call __ts2n_parse_hex
    test ecx, ecx
    jz .badarg
    mov rbx, rdx
    lea rcx, [__ts2n_argsbuf]
    mov [rcx+r15*8], rax
    inc r15d
    jmp .arg
.args_done:
    cmp byte [rbx], 0              ; allow trailing spaces only
    je .go
    cmp byte [rbx], ' '
    jne .extra
    inc rbx
    jmp .args_done
.go:
    mov rdi, [r12+8]
    lea rsi, [__ts2n_argsbuf]
    lea rdx, [__ts2n_resbuf]
    call __ts2n_run_guarded
    test eax, eax
    jnz .trapped
    mov edi, 'R'
    call __ts2n_out_byte
    mov r15d, [r13+4]              ; nresults
    mov eax, [r13]
    lea r14, [r13+rax+8]           ; type bytes of the results
    xor ebx, ebx
.res:
    cmp ebx, r15d
    jae .done
    movzx edi, byte [r14+rbx]
    lea rcx, [__ts2n_resbuf]
    mov rsi, [rcx+rbx*8]
    call out_value
    inc ebx
    jmp .res
.done:
    call reply_end
    jmp __ts2n_serve.loop
.trapped:
    mov ebx, eax
    lea rdi, [str_T]
    call __ts2n_out_str
    mov edi, ebx
    call out_code
    jmp .done
.notfunc:
    lea rdi, [err_notfunc]
    jmp error
.toomany:
    lea rdi, [err_many]
    jmp error
.badarg:
    lea rdi, [err_args]
    jmp error
.extra:
    lea rdi, [err_extra]
    jmp error

cmd_get:
    inc rbx
    call export_entry
    cmp qword [r12], 3
    jne .notglobal
    mov edi, 'R'
    call __ts2n_out_byte
    mov rax, [r12+16]
    movzx edi, byte [rax+8]        ; the global's type: its single "result"
    mov rcx, [r12+8]
    mov rsi, [rcx]
    call out_value
    call reply_end
    jmp __ts2n_serve.loop
.notglobal:
    lea rdi, [err_notglobal]
    jmp error

; out_value(edi = type code, rsi = raw bits): " <hex>" with 8 or 16 digits
out_value:
    push rbx
    push r12
    push r13
    mov ebx, edi
    mov r12, rsi
    mov edi, ' '
    call __ts2n_out_byte
    mov rdi, r12
    mov esi, 8
    cmp ebx, 1                     ; i64
    je .w16
    cmp ebx, 3                     ; f64
    jne .w
.w16:
    mov esi, 16
.w:
    call __ts2n_out_hex
    pop r13
    pop r12
    pop rbx
    ret

section .rodata
str_I:         db "I ", 0
str_ok:        db "ok", 0
str_T:         db "T ", 0
str_E:         db "E ", 0
err_cmd:       db "unknown command (expected C, G or Q)", 0
err_long:      db "line too long", 0
err_num:       db "expected an export index (hex)", 0
err_range:     db "export index out of range", 0
err_notfunc:   db "export is not a function", 0
err_notglobal: db "export is not a global", 0
err_many:      db "too many parameters", 0
err_args:      db "too few or malformed arguments (hex, at most 16 digits)", 0
err_extra:     db "too many arguments", 0
