; module -- multiboot module MOD (1..3) for the test kernels: MOD<N>_LEN bytes (modules.inc),
; byte i = (i & 0xFF) + 29 * ((i >> 8) & 0xFF) + MOD<N>_SEED (mod 256), the pattern checks.inc
; verifies byte by byte (29 is odd: a copy shifted by any whole number of 256-byte blocks below
; 64 KiB reads differently). nasm -f bin -DMOD=n.
%include "modules.inc"
%ifndef MOD
%error "MOD is not defined (nasm -DMOD=1..3)"
%elif MOD == 1
%assign SEED MOD1_SEED
%assign LEN MOD1_LEN
%elif MOD == 2
%assign SEED MOD2_SEED
%assign LEN MOD2_LEN
%elif MOD == 3
%assign SEED MOD3_SEED
%assign LEN MOD3_LEN
%else
%error "MOD must be 1, 2 or 3"
%endif
%assign i 0
%rep LEN
    db ((i & 0xFF) + 29 * ((i >> 8) & 0xFF) + SEED) & 0xFF
%assign i i + 1
%endrep
