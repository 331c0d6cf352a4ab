// Decoding of the exit qualification of a control-register access (SDM Vol 3C §28.2.1,
// Table 28-3 "Exit Qualification for Control-Register Accesses"). Pure.
//
//   63   32 31            16 15  12 11   8 7  6  5   4 3      0
//  +-------+----------------+------+------+--+--+------+--------+
//  |   0   | LMSW source    |  0   | GPR  |0 |LT| type |  CR #  |
//  +-------+----------------+------+------+--+--+------+--------+
//   type: 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW;  LT: LMSW operand 0 register, 1 memory;
//   GPR: the MOV CR general register (0 RAX … 15 R15), same numbering as the guest register block.

export const enum CrAccess { MOV_TO = 0, MOV_FROM = 1, CLTS = 2, LMSW = 3 }

@inline export function crNumber(q: u64): u32 { return <u32>q & 0xF; }
@inline export function crAccessType(q: u64): u32 { return (<u32>q >> 4) & 3; }
@inline export function crLmswMemory(q: u64): bool { return (q & (1 << 6)) != 0; }
@inline export function crGpr(q: u64): u32 { return (<u32>q >> 8) & 0xF; }
@inline export function crLmswSource(q: u64): u32 { return <u32>(q >> 16) & 0xFFFF; }
