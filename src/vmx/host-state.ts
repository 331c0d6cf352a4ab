// The host's own state as the VMCS host-state area needs it (SDM Vol 3C §24.5 "Host-State Area",
// checked at VM entry by §26.2.3 and loaded at every VM exit by §27.5), captured by the
// intrinsic hw_host_state (boot/vmx.asm) on the CPU that will run the VMCS.
//
//   byte 0 cs  2 ss  4 ds  6 es  8 fs  10 gs  12 tr  14 (pad)      (u16 selectors)
//   byte 16 gdtrBase  24 idtrBase  32 trBase  40 fsBase  48 gsBase (u64)
//   byte 56 cr0  64 cr3  72 cr4  80 efer  88 pat                   (u64)      96 bytes
// Offsets are boot/defs.inc's HS_*; change both together.

@unmanaged export class HostState {
  cs: u16;
  ss: u16;
  ds: u16;
  es: u16;
  fs: u16;
  gs: u16;
  tr: u16;
  _pad: u16;
  gdtrBase: u64;
  idtrBase: u64;
  trBase: u64;
  fsBase: u64;
  gsBase: u64;
  cr0: u64;
  cr3: u64;
  cr4: u64;
  efer: u64;
  pat: u64;
}
export const HOST_STATE_SIZE: u32 = 96;
