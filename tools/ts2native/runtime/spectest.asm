; The "spectest" host module of the WebAssembly spec test suite (its interpreter's
; spectest module): print functions write "P <type> <hex>..." lines through the runtime's
; output buffer; globals hold 666 / 666.6. Its table and memory imports are turned into the
; module's own by the compiler. System V calling convention (native-abi.md "Imports").

default rel
bits 64

global spectest_print, spectest_print_i32, spectest_print_i64, spectest_print_f32, spectest_print_f64
global spectest_print_i32_f32, spectest_print_f64_f64
global spectest_global_i32, spectest_global_i64, spectest_global_f32, spectest_global_f64
extern __ts2n_print_begin, __ts2n_print_value, __ts2n_print_end

section .text

spectest_print:
    call __ts2n_print_begin
    jmp __ts2n_print_end

spectest_print_i32:
    push rdi
    call __ts2n_print_begin
    pop rsi
    mov esi, esi
    xor edi, edi
    call __ts2n_print_value
    jmp __ts2n_print_end

spectest_print_i64:
    push rdi
    call __ts2n_print_begin
    pop rsi
    mov edi, 1
    call __ts2n_print_value
    jmp __ts2n_print_end

spectest_print_f32:
    sub rsp, 8
    movd [rsp], xmm0
    call __ts2n_print_begin
    mov esi, [rsp]
    mov edi, 2
    call __ts2n_print_value
    add rsp, 8
    jmp __ts2n_print_end

spectest_print_f64:
    sub rsp, 8
    movq [rsp], xmm0
    call __ts2n_print_begin
    mov rsi, [rsp]
    mov edi, 3
    call __ts2n_print_value
    add rsp, 8
    jmp __ts2n_print_end

spectest_print_i32_f32:
    sub rsp, 24
    mov [rsp], edi
    movd [rsp+8], xmm0
    call __ts2n_print_begin
    mov esi, [rsp]
    xor edi, edi
    call __ts2n_print_value
    mov esi, [rsp+8]
    mov edi, 2
    call __ts2n_print_value
    add rsp, 24
    jmp __ts2n_print_end

spectest_print_f64_f64:
    sub rsp, 24
    movq [rsp], xmm0
    movq [rsp+8], xmm1
    call __ts2n_print_begin
    mov rsi, [rsp]
    mov edi, 3
    call __ts2n_print_value
    mov rsi, [rsp+8]
    mov edi, 3
    call __ts2n_print_value
    add rsp, 24
    jmp __ts2n_print_end

section .data
align 8
spectest_global_i32: dq 666
spectest_global_i64: dq 666
spectest_global_f32: dq 0x4426a666         ; 666.6f
spectest_global_f64: dq 0x4084d4cccccccccd ; 666.6
