; vmrun.asm -- hw_vmrun, the VM entry/exit path, and its lite entries for CPUID and port I/O.
; SDM Vol. 3C ch. 26 (VM entry), ch. 27 (VM exit: §27.5 loads host state from the VMCS, RFLAGS = 2,
; GPRs other than RSP untouched), §30.2 (VMX instruction conventions: VMsucceed CF=ZF=0,
; VMfailInvalid CF=1, VMfailValid ZF=1). The core's side: src/vmx/vcpu.ts (the register block),
; src/vmm/exit-fast.ts and src/vmm/exit-lite.ts; the contract: docs/native-abi.md.

%include "defs.inc"

BITS 64
section .text
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

; STORE_CALLEE_SAVED_GPRS (rdi = the block): the guest's rbx, rbp, r12-r15 into their slots (the
; rest of the block after the caller-saved ones, which .exit stores first).
%macro STORE_CALLEE_SAVED_GPRS 0
    mov [rdi + 3*8], rbx
    mov [rdi + 5*8], rbp
    mov [rdi + 12*8], r12
    mov [rdi + 13*8], r13
    mov [rdi + 14*8], r14
    mov [rdi + 15*8], r15
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
; For CPUID and I/O exits a lite entry of the core runs first (.lite_cpuid / .lite_io below,
; src/vmm/exit-lite.ts). Otherwise, and when it refuses, the core's `vmm_exit(regs)`
; (src/vmm/exit-fast.ts) runs, on this stack: it handles the exits guests take in loops and
; answers 0 when the guest can be entered again at once (VMRESUME from .resume, no return through
; the run loop), 2 when it can after the instruction it performed is completed here (as for a lite
; answer, .lite_resume) or 1 to return. HOST_RSP stays valid: the calls happen at HOST_RSP and return there.
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
    ; VM exit: rsp = HOST_RSP, every GPR but rsp holds the guest's value. First the System V
    ; caller-saved GPRs (all a lite entry below needs stored: the compiled core preserves rbx, rbp,
    ; r12-r14 and the export thunk r15, so those still hold the guest's values after a lite call).
    push rdi
    mov rdi, [rsp + 8]
    mov [rdi + 0*8], rax
    mov [rdi + 1*8], rcx
    mov [rdi + 2*8], rdx
    mov [rdi + 6*8], rsi
    mov [rdi + 8*8], r8
    mov [rdi + 9*8], r9
    mov [rdi + 10*8], r10
    mov [rdi + 11*8], r11
    pop qword [rdi + 7*8]
    ; EXIT_REASON (§27.2.1), compared in full: an entry failure (bit 31) takes the full path.
    mov eax, VMCS_EXIT_REASON
    vmread rax, rax
    cmp eax, EXIT_REASON_CPUID
    je .lite_cpuid
    cmp eax, EXIT_REASON_IO
    je .lite_io
.full:
    ; eax = EXIT_REASON, rdi = the block, the caller-saved GPRs stored: the rest of the block.
    mov [rdi + VCPU_EXIT_REASON], eax
    STORE_CALLEE_SAVED_GPRS
    ; GUEST_RIP and the VM-exit instruction length (§27.2.5): nearly every exit needs them, so they
    ; are read here rather than by calls from the core. VMREAD to memory stores 64 bits in 64-bit
    ; mode (§30.3), zero-extended from a 32-bit field: the length (byte 208) takes the qword form,
    ; its upper half lands on ripDirty, which is 0 after every entry.
    mov eax, VMCS_GUEST_RIP
    vmread [rdi + VCPU_RIP], rax
    mov eax, VMCS_EXIT_INSN_LEN
    vmread [rdi + VCPU_EXIT_INSN_LEN], rax
    ; rsp is 16-byte aligned here (7 pushes after the call): System V call into the core.
    call vmm_exit                       ; (rdi = block); the export thunk sets r15 itself
    mov rdi, [rsp]
    test eax, eax
    jz .resume
    ; 2 (EXIT_FAST_SKIP): the core performed the instruction, left RIP alone (ripDirty = 0) and
    ; changed no callee-saved slot (rbx, rbp, r12-r15: those registers still hold the guest's
    ; values, as after a lite call): complete and re-enter as for a lite answer (.lite_resume).
    cmp eax, EXIT_FAST_SKIP
    je .lite_resume
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

; ---- the lite entries (src/vmm/exit-lite.ts) ----------------------------------------------------
; For CPUID and I/O exits hw_vmrun first calls a small core export that answers the common case
; with only the caller-saved GPRs (rax rcx rdx rsi rdi r8-r11) in the block. Protocol:
;   - in: rdi = the block (rsi = EXIT_QUALIFICATION for I/O, §27.2.1 Table 28-5); rsp = HOST_RSP,
;     16-byte aligned. The block's rbx, rbp, r12-r15 slots, exitReason, ripCache and exitInsnLen
;     are stale (from an earlier exit); ripDirty is 0 (cleared before every entry).
;   - 0 = handled: the function changed only the block's rax, rcx, rdx (and rbx for CPUID, which
;     then writes it) and the exit counters; hw_vmrun completes the instruction itself: GUEST_RIP
;     += the VM-exit instruction length, STI/MOV-SS blocking cleared (completing an instruction
;     ends the shadow, §25.4 / Table 24-3; Vol. 2B STI), and VMRESUMEs. ripCache is not touched: it
;     stays stale with ripDirty = 0, and the next full exit re-reads GUEST_RIP before anything uses it.
;   - 1 = refused: the function changed nothing; the guest's rbx, rbp, r12-r15 are still in the
;     registers (System V callee-saved; the export thunk restores r15), so the full path stores
;     them and calls vmm_exit as for any other exit (eax = the reason: known from the compare).
extern vmm_exit_cpuid, vmm_exit_io
.lite_io:
    ; The qualification also goes into the VCpu (ioQual), where onIoInstruction finds it when the
    ; lite entry refuses or the exit returns to the run loop (its only reader: I/O exits only).
    mov eax, VMCS_EXIT_QUAL
    vmread rsi, rax
    mov [rdi + VCPU_IO_QUAL], rsi
    ; fastExt = 0 (a PC-platform VM, or a slice the run loop must see): no lite answer possible,
    ; so no call (its refusal would cost ~25 instructions on every such exit).
    cmp dword [rdi + VCPU_FAST_EXT], 0
    je .lite_io_full
    call vmm_exit_io                    ; (rdi = block, rsi = qualification)
    mov rdi, [rsp]
    test eax, eax
    jz .lite_resume
.lite_io_full:
    ; Refused: EXIT_REASON was compared in full at .exit, so it is this constant: no second VMREAD.
    mov eax, EXIT_REASON_IO
    jmp .full
.lite_cpuid:
    cmp dword [rdi + VCPU_FAST_EXT], 0  ; as .lite_io's
    je .lite_cpuid_full
    call vmm_exit_cpuid                 ; (rdi = block)
    mov rdi, [rsp]
    test eax, eax
    jz .lite_cpuid_done
.lite_cpuid_full:
    mov eax, EXIT_REASON_CPUID          ; refused: as .lite_io's
    jmp .full
.lite_cpuid_done:
    mov rbx, [rdi + 3*8]                ; CPUID's EBX (written by the lite function on a hit)
.lite_resume:
    ; Skip the instruction in the VMCS (ripCache untouched, see above).
    mov eax, VMCS_GUEST_RIP
    vmread rdx, rax
    mov ecx, VMCS_EXIT_INSN_LEN
    vmread rcx, rcx
    add rdx, rcx
    vmwrite rax, rdx
    mov eax, VMCS_GUEST_INTR_STATE
    vmread rdx, rax
    test edx, INTR_BLOCK_SHADOW
    jnz .lite_shadow
.lite_load:
    mov rax, [rdi + 0*8]
    mov rcx, [rdi + 1*8]
    mov rdx, [rdi + 2*8]
    mov rsi, [rdi + 6*8]
    mov r8,  [rdi + 8*8]
    mov r9,  [rdi + 9*8]
    mov r10, [rdi + 10*8]
    mov r11, [rdi + 11*8]
    mov rdi, [rdi + 7*8]
    vmresume
    ; VMfail (§30.3; rsp = HOST_RSP): the status first (VMREAD below changes the flags), then the
    ; block made whole for the run loop's report: the guest's rbx, rbp, r12-r15 (still in the
    ; registers) and GUEST_RIP (ripCache is stale after a lite skip). Then as after .resume's.
    mov eax, 1
    jc .lite_fail
    mov eax, 2
.lite_fail:
    mov rdi, [rsp]
    STORE_CALLEE_SAVED_GPRS
    mov edx, VMCS_GUEST_RIP
    vmread [rdi + VCPU_RIP], rdx
    jmp .out
.lite_shadow:
    and edx, ~INTR_BLOCK_SHADOW
    vmwrite rax, rdx
    jmp .lite_load
