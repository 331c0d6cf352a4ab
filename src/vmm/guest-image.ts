// The test guests' image header (docs/guest-protocol.md "Guest image"), checked before anything of
// the image is used. Pure: reads only the header bytes the caller passes and the sizes.
//
//   byte 0 magic 'TSG1' (u32)  4 mode (u32: 16 | 64)  8 entry (u64)  16 cr3 (u64)  24 rsp (u64)
//
// The image itself is our build output (build/guests/guests.o), but its header is still treated
// as input: a wrong one must stop that VM with a message, never produce a VMCS that traps later.

export const GUEST_IMAGE_MAGIC: u32 = 0x31475354;
/** Guest-physical load address of every image. */
export const GUEST_LOAD_GPA: u64 = 0x8000;
export const GUEST_HEADER_SIZE: u64 = 32;
export const GUEST_MODE_REAL: u32 = 16;
export const GUEST_MODE_LONG: u32 = 64;
/** Real mode reaches 64 KiB from CS = 0 (IP and SP are 16 bits). */
const REAL_MODE_LIMIT: u64 = 0x10000;
const PAGE_MASK: u64 = 0xFFF;

@unmanaged export class GuestImageHeader {
  magic: u32;
  mode: u32;
  entry: u64;
  cr3: u64;
  rsp: u64;
}

export const enum ImageStatus {
  OK = 0,
  TOO_SMALL = 1,
  TOO_LARGE = 2,
  BAD_MAGIC = 3,
  BAD_MODE = 4,
  ENTRY_OUTSIDE = 5,
  RSP_OUTSIDE = 6,
  CR3_BAD = 7,
}

/** Why an image was refused, for `[NAME] stopped: bad image header: <reason>`. */
export function imageStatusText(s: ImageStatus): string {
  switch (s) {
    case ImageStatus.OK: return "ok";
    case ImageStatus.TOO_SMALL: return "image smaller than its 32-byte header";
    case ImageStatus.TOO_LARGE: return "image does not fit in guest RAM at 0x8000";
    case ImageStatus.BAD_MAGIC: return "magic is not TSG1";
    case ImageStatus.BAD_MODE: return "start mode is neither 16 nor 64";
    case ImageStatus.ENTRY_OUTSIDE: return "entry point outside guest RAM (or above 64 KiB in mode 16)";
    case ImageStatus.RSP_OUTSIDE: return "initial RSP outside guest RAM (or above 64 KiB in mode 16)";
    case ImageStatus.CR3_BAD: return "CR3 not a page-aligned PML4 inside guest RAM (or not 0 in mode 16)";
  }
  return "unknown";
}

/**
 * Checks an image of `size` bytes whose first 32 bytes are at `header` (only read when size >= 32)
 * for a VM with `ramSize` bytes of RAM at guest-physical 0.
 */
export function checkGuestImage(header: usize, size: u64, ramSize: u64): ImageStatus {
  if (size < GUEST_HEADER_SIZE) return ImageStatus.TOO_SMALL;
  if (ramSize < GUEST_LOAD_GPA || size > ramSize - GUEST_LOAD_GPA) return ImageStatus.TOO_LARGE;
  const h = changetype<GuestImageHeader>(header);
  if (h.magic != GUEST_IMAGE_MAGIC) return ImageStatus.BAD_MAGIC;
  const mode = h.mode;
  if (mode != GUEST_MODE_REAL && mode != GUEST_MODE_LONG) return ImageStatus.BAD_MODE;
  const limit = mode == GUEST_MODE_REAL ? (ramSize < REAL_MODE_LIMIT ? ramSize : REAL_MODE_LIMIT) : ramSize;
  if (h.entry >= limit) return ImageStatus.ENTRY_OUTSIDE;
  // RSP is the top of the stack: the first push writes below it, so RSP = limit is valid.
  if (h.rsp == 0 || h.rsp > limit) return ImageStatus.RSP_OUTSIDE;
  if (mode == GUEST_MODE_REAL) {
    if (h.cr3 != 0) return ImageStatus.CR3_BAD;
  } else if ((h.cr3 & PAGE_MASK) != 0 || h.cr3 >= ramSize || ramSize - h.cr3 < 4096) {
    return ImageStatus.CR3_BAD;
  }
  return ImageStatus.OK;
}
