; oob -- reads guest-physical 0x40000000, which is neither RAM nor a device of the VM. The EPT has
; no mapping there, so the access is an EPT violation (SDM Vol 3C, "EPT Violations") that the
; hypervisor must answer by stopping this VM alone, printing
; "[oob] stopped: EPT violation at GPA 0x40000000 (...)", while the other VMs go on.
%include "tsg.inc"
org TSG_LOAD
bits 16
    TSG_HEADER 16, start, 0, 0x7C00
%include "lib16.inc"

OOB_GPA equ 0x40000000

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    cld
    mov si, str_started
    call pass16
    call enter_unreal16          ; FS reaches all 4 GiB from real mode
    mov ebx, OOB_GPA
    mov eax, [fs:ebx]
    ; reaching this point means the hypervisor resumed the guest after the bad access
    mov si, str_resumed
    call fail16
    jmp exit16

str_started: db "started", 0
str_resumed: db "read of 0x40000000 returned to the guest", 0
