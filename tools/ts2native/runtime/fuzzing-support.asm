; The "fuzzing-support" host module of binaryen's translate-to-fuzz modules (`wasm-opt -ttf`),
; for native executables built by `ts2native exe`. Semantics follow binaryen 132's interpreter
; (src/tools/execution-results.h, LoggingExternalInterface):
;   log-i32 / log-i64 / log-f32 / log-f64   print their argument; here as a "P <type> <hex>" line
;                                           of the --serve protocol, which tools/fuzz turns into
;                                           binaryen's "[LoggingExternalInterface logging …]"
;   sleep(ms: i32, id: i32) -> i32          does not sleep, returns id
; call-export / call-export-catch (calls back into exports through JS, JS exceptions) have no
; native equivalent; tools/fuzz/generate.ts replaces them before modules reach any engine.
;
; System V calling convention (docs/native-abi.md "Imports"): i32 in edi (zero-extended), i64 in
; rdi, f32/f64 in xmm0. Lines go through the runtime's output buffer (runtime/linux.asm print
; helpers: __ts2n_print_value takes edi = type code 0 i32 | 1 i64 | 2 f32 | 3 f64, rsi = bits), so
; they stay in order with the protocol's own replies. Symbols are escaped as ?XX (src/symbols.ts)
; and written with NASM's `$` identifier prefix.

default rel
bits 64

global $fuzzing?2Dsupport_log?2Di32, $fuzzing?2Dsupport_log?2Di64
global $fuzzing?2Dsupport_log?2Df32, $fuzzing?2Dsupport_log?2Df64
global $fuzzing?2Dsupport_sleep
extern __ts2n_print_begin, __ts2n_print_value, __ts2n_print_end

section .text

; Each logger parks its argument in the 16-byte slot it reserves (keeping rsp 16-aligned at the
; calls: entry rsp is 8 mod 16, and 8 + 16 = 24 bytes brings it back to 0 mod 16), prints the
; line, and returns through __ts2n_print_end's ret.

$fuzzing?2Dsupport_log?2Di32:
    sub rsp, 24
    mov [rsp], edi
    call __ts2n_print_begin
    mov esi, [rsp]                  ; zero-extends: the protocol prints the 32-bit pattern
    xor edi, edi                    ; type code 0: i32
    call __ts2n_print_value
    add rsp, 24
    jmp __ts2n_print_end

$fuzzing?2Dsupport_log?2Di64:
    sub rsp, 24
    mov [rsp], rdi
    call __ts2n_print_begin
    mov rsi, [rsp]
    mov edi, 1                      ; type code 1: i64
    call __ts2n_print_value
    add rsp, 24
    jmp __ts2n_print_end

$fuzzing?2Dsupport_log?2Df32:
    sub rsp, 24
    movd [rsp], xmm0
    call __ts2n_print_begin
    mov esi, [rsp]                  ; the raw bits: NaN payloads survive
    mov edi, 2                      ; type code 2: f32
    call __ts2n_print_value
    add rsp, 24
    jmp __ts2n_print_end

$fuzzing?2Dsupport_log?2Df64:
    sub rsp, 24
    movq [rsp], xmm0
    call __ts2n_print_begin
    mov rsi, [rsp]
    mov edi, 3                      ; type code 3: f64
    call __ts2n_print_value
    add rsp, 24
    jmp __ts2n_print_end

$fuzzing?2Dsupport_sleep:
    mov eax, esi                    ; returns its second argument, the id
    ret
