// Device kinds a bus range can name (BusRange.device, src/vmm/bus/bus.ts). The dispatcher
// (dispatch.ts) switches on them: a static call per kind, no function pointers, no allocation.
export const enum DeviceKind {
  /** Never registered: a range with kind 0 is a VMM bug (dispatch treats it as unassigned). */
  NONE = 0,
  /** Port range handed to the guest without exits (io-bitmap.ts clears its bits). */
  PASSTHROUGH = 1,
  /** Port 0xE9 debug console (debugcon.ts). */
  DEBUGCON = 2,
  /** The MMIO test device at 0xFEB00000 (testdev.ts). */
  TESTDEV = 3,
  /** A PC platform port range of a Linux VM (src/vmm/pc/pc-io.ts; ctx = the VM). */
  PC_PORTS = 4,
  /** The VM's local APIC page, 0xFEE00000 (ctx = the VM). */
  PC_LAPIC = 5,
  /** The VM's IOAPIC page, 0xFEC00000 (ctx = the VM). */
  PC_IOAPIC = 6,
}
