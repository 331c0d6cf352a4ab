; vmx.asm -- the VMX intrinsics of the ABI table (docs/native-abi.md; declared in src/hw.ts) and
; hw_vmrun, the VM entry/exit path. SDM Vol. 3C ch. 30 (VMX instruction reference), §30.2
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

; RIP_WRITEBACK (rdi = the block): the core changed RIP (skipped an instruction): VMWRITE the
; cached value (src/vmx/vcpu.ts ripDirty). Clobbers eax.
%macro RIP_WRITEBACK 0
    cmp dword [rdi + VCPU_RIP_DIRTY], 0
    je %%clean
    mov eax, VMCS_GUEST_RIP
    vmwrite rax, [rdi + VCPU_RIP]
    mov dword [rdi + VCPU_RIP_DIRTY], 0
%%clean:
%endmacro

; LOAD_GUEST_GPRS (rdi = the block): every GPR but rsp from the block; rdi last. Flags survive.
%macro LOAD_GUEST_GPRS 0
    mov rax, [rdi + 0*8]
    mov rcx, [rdi + 1*8]
    mov rdx, [rdi + 2*8]
    mov rbx, [rdi + 3*8]
    mov rbp, [rdi + 5*8]
    mov rsi, [rdi + 6*8]
    mov r8,  [rdi + 8*8]
    mov r9,  [rdi + 9*8]
    mov r10, [rdi + 10*8]
    mov r11, [rdi + 11*8]
    mov r12, [rdi + 12*8]
    mov r13, [rdi + 13*8]
    mov r14, [rdi + 14*8]
    mov r15, [rdi + 15*8]
    mov rdi, [rdi + 7*8]
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

; ---- hw_vmrun(regs: usize, launched: u32): u32 ------------------------------------------------
; Enters the guest of the register block at rdi (VMLAUNCH if esi = 0, else VMRESUME) and returns
; after a VM exit that the core's run loop must see: 0 = exited (guest GPRs and CR2 stored in the
; block; EXIT_REASON, GUEST_RIP and the instruction length in the VCpu, boot/defs.inc VCPU_*),
; 1 = VMfailInvalid, 2 = VMfailValid. The KVM __vmx_vcpu_run design: HOST_RIP is .exit below and
; HOST_RSP the stack pointer after the pushes, so an exit lands inside this call with the block's
; address on top of the stack. The host's callee-saved registers (r15 = the compiled code's memory
; base included) are on that stack too; every other host register is caller-saved under System V,
; so nothing else needs saving. RFLAGS after an exit is 2 (§27.5.3): DF = 0, IF = 0 as the core runs.
;
; After each exit the core's `vmm_exit(regs)` (src/vmm/exit-fast.ts) runs first, on this stack:
; it handles the exits guests take in loops and answers 0 when the guest can be entered again
; at once (VMRESUME from .resume, no return through the run loop) or 1 to return. HOST_RSP stays
; valid: the call happens at HOST_RSP and returns there.
global hw_vmrun
extern vmm_exit
hw_vmrun:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    push rdi                            ; [rsp] = the block, where .exit finds it
    ; HOST_RSP: VMWRITE only when it changed for this VMCS (the block caches it, per vCPU =
    ; per VMCS); the run loop calls from the same depth, so this is one compare per entry.
    cmp rsp, [rdi + VCPU_HOST_RSP]
    je .rsp_ok
    mov [rdi + VCPU_HOST_RSP], rsp
    mov eax, VMCS_HOST_RSP
    vmwrite rax, rsp
.rsp_ok:
    ; CR2 is not part of the VMCS guest state (§27.3.1): switch it by hand, only if it differs.
    ; Only here: the core writes a guest CR2 only together with a #PF to inject, and with an
    ; event pending vmm_exit returns to the run loop, which enters through here again.
    mov rax, [rdi + VCPU_REG_CR2]
    mov rdx, cr2
    cmp rax, rdx
    je .cr2_ok
    mov cr2, rax
.cr2_ok:
    test esi, esi
    jnz .resume
    mov eax, VMCS_HOST_RIP              ; first entry of this VMCS: HOST_RIP = .exit
    lea rdx, [rel .exit]
    vmwrite rax, rdx
    RIP_WRITEBACK
    LOAD_GUEST_GPRS
    vmlaunch
    jmp .fail

.resume:                                ; rdi = the block
    RIP_WRITEBACK
    LOAD_GUEST_GPRS
    vmresume
.fail:
    ; Only reached when the instruction failed (§30.3: VMLAUNCH/VMRESUME "VMfail"): rsp is ours,
    ; the GPRs hold guest values, restored from the stack below.
    mov eax, 1
    jc .out
    mov eax, 2
    jmp .out

.exit:
    ; VM exit: rsp = HOST_RSP, every GPR but rsp holds the guest's value.
    push rdi
    mov rdi, [rsp + 8]
    mov [rdi + 0*8], rax
    mov [rdi + 1*8], rcx
    mov [rdi + 2*8], rdx
    mov [rdi + 3*8], rbx
    mov [rdi + 5*8], rbp
    mov [rdi + 6*8], rsi
    mov [rdi + 8*8], r8
    mov [rdi + 9*8], r9
    mov [rdi + 10*8], r10
    mov [rdi + 11*8], r11
    mov [rdi + 12*8], r12
    mov [rdi + 13*8], r13
    mov [rdi + 14*8], r14
    mov [rdi + 15*8], r15
    pop qword [rdi + 7*8]
    ; EXIT_REASON, GUEST_RIP and the VM-exit instruction length (§27.2.1, §27.2.5): nearly every
    ; exit needs them, so they are read here rather than by three calls from the core.
    ; VMREAD to memory stores 64 bits in 64-bit mode (§30.3), zero-extended from a 32-bit field:
    ; EXIT_REASON (byte 180) goes through eax since bytes 184..187 are another field; the length (byte 208)
    ; may take the qword form, its upper half lands on ripDirty, which is 0 after every entry.
    mov eax, VMCS_EXIT_REASON
    vmread rax, rax
    mov [rdi + VCPU_EXIT_REASON], eax
    mov eax, VMCS_GUEST_RIP
    vmread [rdi + VCPU_RIP], rax
    mov eax, VMCS_EXIT_INSN_LEN
    vmread [rdi + VCPU_EXIT_INSN_LEN], rax
    ; rsp is 16-byte aligned here (7 pushes after the call): System V call into the core.
    call vmm_exit                       ; (rdi = block); the export thunk sets r15 itself
    mov rdi, [rsp]
    test eax, eax
    jz .resume
    mov rax, cr2
    mov [rdi + VCPU_REG_CR2], rax
    xor eax, eax
.out:
    pop rdi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
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
