// The interruption-information format shared by the VM-entry interruption-information field
// (SDM Vol 3C §24.8.3, Table 24-17), the VM-exit interruption information and the IDT-vectoring
// information (§24.9.2, §24.9.3, Tables 24-18/24-19):
//
//   31  30        13 12  11  10    8 7        0
//  +---+------------+---+---+-------+----------+
//  | V |  reserved  | U | E | type  |  vector  |
//  +---+------------+---+---+-------+----------+
//   V valid; E deliver/has error code; U (exit info only) NMI unblocking due to IRET;
//   type: 0 external interrupt, 2 NMI, 3 hardware exception, 4 software interrupt (INT n),
//         5 privileged software exception (INT1), 6 software exception (INT3, INTO), 7 other.
//
// And the guest interruptibility state (§24.4.2, Table 24-3): bit 0 blocking by STI, bit 1
// blocking by MOV SS, bit 2 blocking by SMI, bit 3 blocking by NMI.

export const INTR_VALID: u32 = <u32>1 << 31;
export const INTR_ERROR_CODE: u32 = 1 << 11;
export const INTR_NMI_UNBLOCKING: u32 = 1 << 12;

export const enum IntrType {
  EXTERNAL = 0,
  NMI = 2,
  HW_EXCEPTION = 3,
  SW_INTERRUPT = 4,
  PRIV_SW_EXCEPTION = 5,
  SW_EXCEPTION = 6,
  OTHER = 7,
}

@inline export function intrVector(info: u32): u32 { return info & 0xFF; }
@inline export function intrType(info: u32): u32 { return (info >> 8) & 7; }
@inline export function intrValid(info: u32): bool { return (info & INTR_VALID) != 0; }
@inline export function intrHasErrorCode(info: u32): bool { return (info & INTR_ERROR_CODE) != 0; }
@inline export function intrMake(vector: u32, type: u32, errorCode: bool): u32 {
  return INTR_VALID | (vector & 0xFF) | ((type & 7) << 8) | (errorCode ? INTR_ERROR_CODE : 0);
}
/** Types whose injection needs the VM-entry instruction length (§26.6.1.3): 4, 5, 6. */
@inline export function intrNeedsLength(type: u32): bool {
  return type == IntrType.SW_INTERRUPT || type == IntrType.PRIV_SW_EXCEPTION || type == IntrType.SW_EXCEPTION;
}

export const BLOCK_STI: u32 = 1 << 0;
export const BLOCK_MOV_SS: u32 = 1 << 1;
export const BLOCK_SMI: u32 = 1 << 2;
export const BLOCK_NMI: u32 = 1 << 3;

export const RFLAGS_IF: u64 = 1 << 9;

// Exception vectors (SDM Vol 3A §6.3.1, Table 6-1).
export const enum Vec {
  DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
  TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19, VE = 20, CP = 21,
}

/** Whether the exception `vector` pushes an error code (Table 6-1: 8, 10–14, 17, 21). */
export function exceptionHasErrorCode(vector: u32): bool {
  return vector == Vec.DF || (vector >= <u32>Vec.TS && vector <= <u32>Vec.PF) || vector == Vec.AC || vector == Vec.CP;
}

/** Exception classes for the double-fault rules (SDM Vol 3A §6.15, Table 6-4). */
export const enum ExcClass { BENIGN = 0, CONTRIBUTORY = 1, PAGE_FAULT = 2, DOUBLE_FAULT = 3 }

export function exceptionClass(vector: u32): ExcClass {
  if (vector == Vec.DE || (vector >= <u32>Vec.TS && vector <= <u32>Vec.GP) || vector == Vec.CP) return ExcClass.CONTRIBUTORY;
  if (vector == Vec.PF || vector == Vec.VE) return ExcClass.PAGE_FAULT;
  if (vector == Vec.DF) return ExcClass.DOUBLE_FAULT;
  return ExcClass.BENIGN;
}

export const enum Combine {
  /** Deliver the second exception (the two are handled serially). */
  SECOND = 0,
  /** Deliver #DF(0) instead. */
  DOUBLE_FAULT = 1,
  /** The processor shuts down (triple fault). */
  TRIPLE_FAULT = 2,
}

/**
 * What happens when exception `second` is detected while delivering exception `first`
 * (SDM Vol 3A §6.15, Table 6-5 "Conditions for Generating a Double Fault"; and, under "Interrupt 8
 * — Double Fault Exception": "if another exception occurs while attempting to call the
 * double-fault handler, the processor enters shutdown mode").
 */
export function combineExceptions(first: u32, second: u32): Combine {
  const a = exceptionClass(first);
  const b = exceptionClass(second);
  if (a == ExcClass.DOUBLE_FAULT) return Combine.TRIPLE_FAULT;
  if (a == ExcClass.CONTRIBUTORY && b == ExcClass.CONTRIBUTORY) return Combine.DOUBLE_FAULT;
  if (a == ExcClass.PAGE_FAULT && b != ExcClass.BENIGN) return Combine.DOUBLE_FAULT;
  return Combine.SECOND;
}
