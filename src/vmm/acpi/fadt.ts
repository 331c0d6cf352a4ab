// FADT (Fixed ACPI Description Table, signature "FACP"), revision 6, 276 bytes.
// Spec: ACPI 6.4 §5.2.9, Table 5.9 (field offsets below), Table 5.10 (Flags), Table 5.11
// (IA-PC boot architecture flags), §4.8 (the fixed hardware this points at: src/vmm/acpi/pm.ts).
//
// A full (not hardware-reduced) PC: PM1a event/control blocks and a 32-bit PM timer at the
// ports of pm.ts, SCI on IRQ 9, no SMI command port (always in ACPI mode), no GPE blocks, no
// C2/C3 states (latencies above the "not supported" limits), RTC century at CMOS 0x32,
// legacy devices present (8259, PIT, RTC, UART), no 8042, no VGA. Every 32-bit block address has
// its X_ counterpart with the same value (ACPICA warns on any mismatch).
//
//    36 FIRMWARE_CTRL   40 DSDT   45 Preferred_PM_Profile   46 SCI_INT u16   48 SMI_CMD
//    52 ACPI_ENABLE  53 ACPI_DISABLE  54 S4BIOS_REQ  55 PSTATE_CNT   56 PM1a_EVT_BLK
//    60 PM1b_EVT_BLK 64 PM1a_CNT_BLK  68 PM1b_CNT_BLK 72 PM2_CNT_BLK  76 PM_TMR_BLK
//    80 GPE0_BLK  84 GPE1_BLK  88 PM1_EVT_LEN  89 PM1_CNT_LEN  90 PM2_CNT_LEN  91 PM_TMR_LEN
//    92 GPE0_BLK_LEN  93 GPE1_BLK_LEN  94 GPE1_BASE  95 CST_CNT  96 P_LVL2_LAT u16
//    98 P_LVL3_LAT u16  100 FLUSH_SIZE  102 FLUSH_STRIDE  104 DUTY_OFFSET  105 DUTY_WIDTH
//   106 DAY_ALRM  107 MON_ALRM  108 CENTURY  109 IAPC_BOOT_ARCH u16  111 reserved  112 Flags
//   116 RESET_REG (GAS)  128 RESET_VALUE  129 ARM_BOOT_ARCH u16  131 FADT minor version
//   132 X_FIRMWARE_CTRL u64  140 X_DSDT u64  148 X_PM1a_EVT_BLK  160 X_PM1b_EVT_BLK
//   172 X_PM1a_CNT_BLK  184 X_PM1b_CNT_BLK  196 X_PM2_CNT_BLK  208 X_PM_TMR_BLK
//   220 X_GPE0_BLK  232 X_GPE1_BLK  244 SLEEP_CONTROL_REG  256 SLEEP_STATUS_REG
//   268 Hypervisor Vendor Identity u64                                      (GAS: 12 bytes)

import {
  AcpiBlob, put8, put16, put32, put64, putGas, putHeader, sealTable,
  GAS_SYSTEM_IO, GAS_ACCESS_WORD, GAS_ACCESS_DWORD,
} from "./blob";
import {
  PM1A_EVT_PORT, PM1_EVT_LEN, PM1A_CNT_PORT, PM1_CNT_LEN, PM_TMR_PORT, PM_TMR_LEN, SCI_IRQ,
} from "./pm";

export const FADT_SIGNATURE: u32 = 0x50434146; // "FACP"
export const FADT_SIZE: u32 = 276;
export const FADT_REVISION: u32 = 6;
export const FADT_MINOR_REVISION: u32 = 4;

// Flags (Table 5.10).
const F_WBINVD: u32 = 1 << 0;
const F_PROC_C1: u32 = 1 << 2;
const F_SLP_BUTTON: u32 = 1 << 5; // 1: no fixed-feature sleep button
const F_FIX_RTC: u32 = 1 << 6;    // 1: RTC wake status is not in the fixed registers
const F_TMR_VAL_EXT: u32 = 1 << 8;
export const FADT_FLAGS: u32 = F_WBINVD | F_PROC_C1 | F_SLP_BUTTON | F_FIX_RTC | F_TMR_VAL_EXT;
// IA-PC boot architecture flags (Table 5.11): LEGACY_DEVICES, VGA Not Present.
export const FADT_IAPC_BOOT_ARCH: u32 = (1 << 0) | (1 << 2);
/** "C2 not supported" needs a latency > 100 µs, "C3 not supported" > 1000 µs (§5.2.9). */
const P_LVL2_LAT_NONE: u32 = 101;
const P_LVL3_LAT_NONE: u32 = 1001;
/** CMOS index of the RTC century byte (src/vmm/platform/rtc146818.ts keeps it there). */
const RTC_CENTURY_INDEX: u32 = 0x32;

/** Writes the FADT at `off` pointing at the FACS and DSDT (guest-physical, below 4 GiB). */
export function buildFadt(b: AcpiBlob, off: u32, facs: u64, dsdt: u64): void {
  for (let i: u32 = 0; i < FADT_SIZE; i++) put8(b, off + i, 0);
  putHeader(b, off, FADT_SIGNATURE, FADT_SIZE, FADT_REVISION);
  put32(b, off + 36, <u32>facs);
  put32(b, off + 40, <u32>dsdt);
  put16(b, off + 46, SCI_IRQ);
  put32(b, off + 56, PM1A_EVT_PORT);
  put32(b, off + 64, PM1A_CNT_PORT);
  put32(b, off + 76, PM_TMR_PORT);
  put8(b, off + 88, PM1_EVT_LEN);
  put8(b, off + 89, PM1_CNT_LEN);
  put8(b, off + 91, PM_TMR_LEN);
  put16(b, off + 96, P_LVL2_LAT_NONE);
  put16(b, off + 98, P_LVL3_LAT_NONE);
  put8(b, off + 108, RTC_CENTURY_INDEX);
  put16(b, off + 109, FADT_IAPC_BOOT_ARCH);
  put32(b, off + 112, FADT_FLAGS);
  put8(b, off + 131, FADT_MINOR_REVISION);
  put64(b, off + 132, facs);
  put64(b, off + 140, dsdt);
  // PM1 registers are 16 bits wide (accessed as words), the timer 32 (§4.8.3).
  putGas(b, off + 148, GAS_SYSTEM_IO, PM1_EVT_LEN * 8, GAS_ACCESS_WORD, PM1A_EVT_PORT);
  putGas(b, off + 172, GAS_SYSTEM_IO, PM1_CNT_LEN * 8, GAS_ACCESS_WORD, PM1A_CNT_PORT);
  putGas(b, off + 208, GAS_SYSTEM_IO, PM_TMR_LEN * 8, GAS_ACCESS_DWORD, PM_TMR_PORT);
  sealTable(b, off, FADT_SIZE);
}
