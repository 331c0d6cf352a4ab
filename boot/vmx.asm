; vmx.asm -- the VMX intrinsics of the ABI table (docs/native-abi.md; declared in src/hw.ts);
; hw_vmrun, the VM entry/exit path, is in vmrun.asm. SDM Vol. 3C ch. 30 (VMX instruction reference), §30.2
; (conventions: VMsucceed CF=ZF=0, VMfailInvalid CF=1, VMfailValid ZF=1), ch. 26 (VM entry),
; ch. 27 (VM exit: §27.5 loads host state from the VMCS, RFLAGS = 2, GPRs other than RSP untouched).
;
; All routines are System V leaf functions. i32 arguments arrive zero-extended (docs/native-abi.md,
; "Imports"), which VMREAD/VMWRITE rely on: they fail on encodings with bits 63:32 set (§30.3).
; hw_vmread and hw_vmwrite run on nearly every exit, so they are a bare instruction and a return.

%include "defs.inc"

extern guest_images_count

BITS 64
section .text

; VMX_RET: eax = 0 (VMsucceed), 1 (VMfailInvalid, CF) or 2 (VMfailValid, ZF); mov keeps flags.
%macro VMX_RET 0
    jbe %%fail
    xor eax, eax
    ret
%%fail:
    mov eax, 1
    jc %%done
    mov eax, 2
%%done:
    ret
%endmacro


; ---- hw_vmxon / hw_vmclear / hw_vmptrld (pa: u64): u32 -- the operand is a 64-bit memory
; location holding the physical address (§30.3 VMXON, VMCLEAR, VMPTRLD).
global hw_vmxon, hw_vmxoff, hw_vmclear, hw_vmptrld
hw_vmxon:
    push rdi
    vmxon [rsp]
    pop rdi
    VMX_RET
hw_vmxoff:
    vmxoff
    VMX_RET
hw_vmclear:
    push rdi
    vmclear [rsp]
    pop rdi
    VMX_RET
hw_vmptrld:
    push rdi
    vmptrld [rsp]
    pop rdi
    VMX_RET

; ---- hw_vmread(field: u32): u64 -- 0 when VMREAD fails (the destination is left unchanged).
global hw_vmread, hw_vmwrite
hw_vmread:
    xor eax, eax
    vmread rax, rdi
    ret

; ---- hw_vmwrite(field: u32, value: u64): u32
hw_vmwrite:
    vmwrite rdi, rsi
    VMX_RET

; ---- hw_invept(type: u32, eptp: u64): u32 -- descriptor {EPTP, 0} (§30.3 INVEPT, Figure 30-1)
global hw_invept, hw_invvpid
hw_invept:
    push 0
    push rsi
    mov edi, edi
    invept rdi, [rsp]
    lea rsp, [rsp + 16]                 ; lea keeps the flags VMX_RET reads
    VMX_RET

; ---- hw_invvpid(type: u32, vpid: u32): u32 -- descriptor {VPID in bits 15:0, linear address}
; (§30.3 INVVPID, Figure 30-2; bits 63:16 of the first qword must be 0).
hw_invvpid:
    push 0
    movzx esi, si
    push rsi
    mov edi, edi
    invvpid rdi, [rsp]
    lea rsp, [rsp + 16]
    VMX_RET

; ---- XCR access (SDM Vol. 2D XGETBV, XSETBV: ecx = index, edx:eax = value) ------------------
global hw_xgetbv, hw_xsetbv
hw_xgetbv:
    mov ecx, edi
    xgetbv
    shl rdx, 32
    or rax, rdx
    ret
hw_xsetbv:
    mov ecx, edi
    mov eax, esi
    mov rdx, rsi
    shr rdx, 32
    xsetbv
    ret

; ---- hw_host_state(out: usize): void -- what the VMCS host-state area needs (§26.2.3, §27.5):
; selectors, descriptor-table bases, TR base (from TR's GDT descriptor, §8.2.3), FS/GS bases,
; CR0/CR3/CR4, EFER and PAT. Layout: defs.inc HS_* = src/vmx/host-state.ts.
global hw_host_state
hw_host_state:
    mov [rdi + HS_CS], cs
    mov [rdi + HS_SS], ss
    mov [rdi + HS_DS], ds
    mov [rdi + HS_ES], es
    mov [rdi + HS_FS], fs
    mov [rdi + HS_GS], gs
    str word [rdi + HS_TR]
    sub rsp, 16
    sgdt [rsp]
    mov rax, [rsp + 2]
    mov [rdi + HS_GDTR_BASE], rax
    movzx edx, word [rdi + HS_TR]
    and edx, ~7
    add rdx, rax                        ; rdx = TR's 16-byte descriptor
    movzx eax, word [rdx + 2]           ; base 15:0
    movzx ecx, byte [rdx + 4]           ; base 23:16
    shl ecx, 16
    or eax, ecx
    movzx ecx, byte [rdx + 7]           ; base 31:24
    shl ecx, 24
    or eax, ecx
    mov ecx, [rdx + 8]                  ; base 63:32
    shl rcx, 32
    or rax, rcx
    mov [rdi + HS_TR_BASE], rax
    sidt [rsp]
    mov rax, [rsp + 2]
    mov [rdi + HS_IDTR_BASE], rax
    add rsp, 16
    mov r8, rdi
    mov ecx, MSR_FS_BASE
    rdmsr
    mov [r8 + HS_FS_BASE], eax
    mov [r8 + HS_FS_BASE + 4], edx
    mov ecx, MSR_GS_BASE
    rdmsr
    mov [r8 + HS_GS_BASE], eax
    mov [r8 + HS_GS_BASE + 4], edx
    mov ecx, MSR_EFER
    rdmsr
    mov [r8 + HS_EFER], eax
    mov [r8 + HS_EFER + 4], edx
    mov ecx, MSR_PAT
    rdmsr
    mov [r8 + HS_PAT], eax
    mov [r8 + HS_PAT + 4], edx
    mov rax, cr0
    mov [r8 + HS_CR0], rax
    mov rax, cr3
    mov [r8 + HS_CR3], rax
    mov rax, cr4
    mov [r8 + HS_CR4], rax
    ret

; ---- hw_guest_images(): u64 -- address of guest_images_count (build/guests/guests.o) ---------
global hw_guest_images
hw_guest_images:
    lea rax, [rel guest_images_count]
    ret

; ---- guest FPU/SSE/AVX state across vCPU switches (src/vmm/fpu.ts) ----------------------------
; The core runs no x87/SSE/AVX code, so a guest's registers survive its exits; only a switch to
; another vCPU on this CPU saves and restores them. XSAVE/XRSTOR with EDX:EAX = all ones act on
; every component enabled in XCR0 (SDM Vol 1 §13.7, §13.8; standard form, 64-byte aligned area);
; FXSAVE/FXRSTOR (Vol 2A) where the CPU has no XSAVE.
global hw_xsave, hw_xrstor, hw_fxsave, hw_fxrstor
hw_xsave:
    mov eax, -1
    mov edx, -1
    xsave64 [rdi]
    ret
hw_xrstor:
    mov eax, -1
    mov edx, -1
    xrstor64 [rdi]
    ret
hw_fxsave:
    fxsave64 [rdi]
    ret
hw_fxrstor:
    fxrstor64 [rdi]
    ret

; ---- hw_xsavec_probe(area: usize): u32 -- 1 when XSAVEC stores the AVX component where SDM Vol 1
; §13.4.3 puts it in the compacted format, else 0. With RFBM = x87|SSE|AVX the compacted area is
; the 512-byte legacy region, the 64-byte header, then the AVX state (YMM bits 255:128) at 576, so
; YMM1's upper half is at 592. Bochs 2.7 writes it at 432 (src/vmm/policy/cpuid.ts has the whole
; story), and a guest offered XSAVEC there loses its YMM/ZMM state at every context switch.
; `area`: 1 KiB, 64-byte aligned, scratch. The caller checked CPUID: XSAVE, AVX, XSAVEC and XCR0
; bit 2 supported, and set CR4.OSXSAVE. Runs at boot, before any guest state is in the CPU: it
; sets XCR0 to 7 for the test, leaves every YMM register zero and restores XCR0.
global hw_xsavec_probe
hw_xsavec_probe:
    mov r8, rdi                         ; the area
    xor ecx, ecx
    xgetbv                              ; edx:eax = XCR0
    mov r9d, eax
    mov r10d, edx
    mov eax, 7
    xor edx, edx
    xsetbv                              ; ecx = 0: XCR0 = x87 | SSE | AVX
    mov rdi, r8
    xor eax, eax
    mov ecx, 128
    rep stosq                           ; zero 1 KiB (DF = 0: System V)
    vcmpps ymm1, ymm1, ymm1, 0x0F       ; predicate TRUE_UQ: every bit of ymm1 set
    mov eax, 7
    xor edx, edx
    xsavec64 [r8]
    xor eax, eax
    cmp qword [r8 + 592], -1
    jne .done
    cmp qword [r8 + 600], -1
    jne .done
    mov eax, 1
.done:
    vzeroall
    mov r11d, eax
    mov eax, r9d
    mov edx, r10d
    xor ecx, ecx
    xsetbv                              ; XCR0 restored
    mov eax, r11d
    ret

; ---- debug registers DR0-DR3, DR6 (SDM Vol. 3B §18.2): not part of the VMCS (only DR7 is), so
; a guest's values stay in the CPU across its exits; src/vmm/guest-dr.ts switches them between
; vCPUs. n outside {0, 1, 2, 3, 6} reads 0 / writes nothing.
global hw_read_dr, hw_write_dr
hw_read_dr:
    xor eax, eax
    cmp edi, 0
    je .r0
    cmp edi, 1
    je .r1
    cmp edi, 2
    je .r2
    cmp edi, 3
    je .r3
    cmp edi, 6
    je .r6
    ret
.r0: mov rax, dr0
    ret
.r1: mov rax, dr1
    ret
.r2: mov rax, dr2
    ret
.r3: mov rax, dr3
    ret
.r6: mov rax, dr6
    ret
hw_write_dr:
    cmp edi, 0
    je .w0
    cmp edi, 1
    je .w1
    cmp edi, 2
    je .w2
    cmp edi, 3
    je .w3
    cmp edi, 6
    je .w6
    ret
.w0: mov dr0, rsi
    ret
.w1: mov dr1, rsi
    ret
.w2: mov dr2, rsi
    ret
.w3: mov dr3, rsi
    ret
.w6: mov dr6, rsi
    ret
