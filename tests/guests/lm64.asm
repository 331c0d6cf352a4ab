; lm64 -- starts in 64-bit long mode (start mode 64) on its own identity-mapped page tables
; (pt64.inc, CR3 in the header): CPUID, MMIO on the test device with 64-bit and REX-prefixed MOV
; forms, an injected #GP (WRMSR of an unknown MSR) handled by the guest's IDT, CR4 and XSETBV.
; See docs/guest-protocol.md.
%include "tsg.inc"
org TSG_LOAD
bits 64
    TSG_HEADER 64, start, pml4, 0x7000
%include "lib64.inc"

MSR_UNKNOWN equ 0xC0DE1234       ; see pm32.asm
CR4_PAE     equ 1 << 5
CR4_OSXSAVE equ 1 << 18
CPUID1_ECX_XSAVE   equ 1 << 26
CPUID1_ECX_OSXSAVE equ 1 << 27

start:
    call lm_init64
    cld

; ---- CPUID in 64-bit mode: results are zero-extended into RAX..RDX (SDM Vol 2A, CPUID) ---------
    mov rbx, -1
    mov rcx, -1
    mov rdx, -1
    mov eax, 0x40000000
    xor ecx, ecx
    cpuid
    mov rsi, HV_SIGNATURE
    cmp rbx, rsi
    jne .sig
    cmp rcx, rsi
    jne .sig
    cmp rdx, rsi
.sig:
    CHECK e, "cpuid 0x40000000 signature, upper halves zero"
    mov eax, 1
    xor ecx, ecx
    cpuid
    bt ecx, 31
    CHECK c, "cpuid hypervisor bit"

; ---- 64-bit MMIO (SDM Vol 2A 2.2.1 REX prefixes; Vol 2B MOV) ------------------------------------
    mov byte [rel out_channel64], 1              ; this section reports through port 0xE9
    mov ebx, TESTDEV                             ; zero-extends to rbx
    mov r11, -1
    mov r11d, [rbx + TD_ID]                      ; 44 8B: a 32-bit load clears bits 63:32
    mov rax, TD_ID_VALUE
    cmp r11, rax
    CHECK e, "mmio mov r32 load zero-extends (rex.r)"
    mov edi, [rbx + TD_WRITES]
    mov rax, 0x1122334455667788
    mov [rbx + TD_SCRATCH], rax                  ; 48 89
    mov rcx, [rbx + TD_SCRATCH]                  ; 48 8B
    cmp rcx, rax
    CHECK e, "mmio mov r64 store and load"
    mov eax, [rbx + TD_WRITES]
    sub eax, edi
    cmp eax, 1
    CHECK e, "mmio 64-bit store counts one write"
    mov r9, 0x0123456789ABCDEF
    mov [rbx + TD_SCRATCH], r9                   ; 4C 89 (REX.W R)
    mov r10, [rbx + TD_SCRATCH]                  ; 4C 8B
    cmp r10, r9
    CHECK e, "mmio mov r9/r10 (rex.wr)"
    mov r12, rbx
    mov r13, 0xFEDCBA9876543210
    mov [r12 + TD_SCRATCH], r13                  ; 4D 89 + SIB (base r12 needs one)
    mov r14, [r12 + TD_SCRATCH]
    cmp r14, r13
    CHECK e, "mmio mov [r12 + disp] (rex.wrb, sib)"
    mov qword [rbx + TD_SCRATCH], -2             ; 48 C7 /0: imm32 sign-extended to 64 bits
    mov rax, [rbx + TD_SCRATCH]
    cmp rax, -2
    CHECK e, "mmio mov r/m64 imm32 sign-extended"
    mov dword [rbx + TD_SCRATCH], 0x7374ABCD
    mov r8, -1
    movzx r8, word [rbx + TD_SCRATCH]            ; 4C 0F B7
    cmp r8, 0xABCD
    CHECK e, "mmio movzx r64 word (rex.wr)"
    mov rax, 0
    movsx rax, word [rbx + TD_SCRATCH]           ; 48 0F BF: sign bit of 0xABCD set
    cmp rax, -0x5433                             ; 0xFFFFFFFFFFFFABCD
    CHECK e, "mmio movsx r64 word (rex.w)"
    ; byte registers: without REX, reg 6 is DH; with any REX it is SIL (SDM Vol 2A, "Byte
    ; Registers": AH/CH/DH/BH are not encodable with REX)
    mov edx, 0xB711
    mov [rbx + TD_SCRATCH], dh                   ; 88 73 08
    movzx eax, byte [rbx + TD_SCRATCH]
    cmp eax, 0xB7
    CHECK e, "mmio mov [mem], dh (no rex)"
    mov esi, 0x5C
    mov [rbx + TD_SCRATCH], sil                  ; 40 88 73 08
    movzx eax, byte [rbx + TD_SCRATCH]
    cmp eax, 0x5C
    CHECK e, "mmio mov [mem], sil (rex)"
    xor eax, eax
    mov ah, [rbx + TD_SCRATCH]                   ; 8A 63 08: AH, bits 15:8
    cmp eax, 0x5C00
    CHECK e, "mmio mov ah, [mem]"
    mov r15, -1
    mov r15b, [rbx + TD_SCRATCH]                 ; 44 8A: an 8-bit load keeps bits 63:8
    mov rax, 0xFFFFFFFFFFFFFF5C
    cmp r15, rax
    CHECK e, "mmio mov r15b load keeps upper bits"
    mov byte [rel out_channel64], 0

; ---- exception injection: WRMSR to an unknown MSR -> #GP(0) through the guest's IDT -----------
    EXPECT_EXC 13, 2
    mov ecx, MSR_UNKNOWN
    xor eax, eax
    xor edx, edx
.wrmsr_unknown:
    wrmsr
    cmp qword [rel exc_count64], 1
    CHECK e, "wrmsr unknown msr #gp to guest idt"
    ; #GP is a fault: the saved RIP is the WRMSR itself, not the instruction after it
    lea rax, [rel .wrmsr_unknown]
    cmp [rel exc_rip64], rax
    CHECK e, "wrmsr unknown msr #gp rip at the wrmsr"
    cmp qword [rel exc_error64], 0
    CHECK e, "wrmsr unknown msr #gp error code 0"

; ---- CR4 and XSETBV (SDM Vol 2B, XSETBV; Vol 1, "Enabling the XSAVE Feature Set") --------------
    mov rax, cr4
    test eax, CR4_PAE
    CHECK nz, "cr4 read shows pae"
    mov eax, 1
    xor ecx, ecx
    cpuid
    test ecx, CPUID1_ECX_XSAVE
    CHECK nz, "cpuid xsave exposed"
    test ecx, CPUID1_ECX_XSAVE           ; CHECK preserves registers, not flags
    jz .no_xsave
    mov rax, cr4
    or eax, CR4_OSXSAVE
    mov cr4, rax
    mov rax, cr4
    test eax, CR4_OSXSAVE
    CHECK nz, "cr4 osxsave set and read back"
    ; CPUID.1:ECX.OSXSAVE reflects the guest's CR4.OSXSAVE (SDM Vol 2A, CPUID, Table "Feature
    ; Information Returned in the ECX Register")
    mov eax, 1
    xor ecx, ecx
    cpuid
    test ecx, CPUID1_ECX_OSXSAVE
    CHECK nz, "cpuid osxsave follows cr4"
    xor ecx, ecx
    xor edx, edx
    mov eax, 3                   ; x87 | SSE
    xsetbv                       ; always a VM exit
    xor ecx, ecx
    xgetbv
    cmp eax, 3
    jne .x1
    test edx, edx
.x1:
    CHECK e, "xsetbv xcr0 x87|sse"
    ; XCR0.x87 (bit 0) must be 1: XSETBV of 2 is #GP(0), XCR0 unchanged
    EXPECT_EXC 13, 3
    xor ecx, ecx
    xor edx, edx
    mov eax, 2
.xsetbv_bad:
    xsetbv
    cmp qword [rel exc_count64], 2
    CHECK e, "xsetbv invalid value #gp"
    lea rax, [rel .xsetbv_bad]
    cmp [rel exc_rip64], rax
    CHECK e, "xsetbv invalid value #gp rip at the xsetbv"
    xor ecx, ecx
    xgetbv
    cmp eax, 3
    CHECK e, "xsetbv invalid value leaves xcr0"
.no_xsave:
    jmp exit64

%include "pt64.inc"
