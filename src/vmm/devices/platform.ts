// Each VM's platform: its port bus and MMIO bus with the devices of docs/guest-protocol.md
// registered, the device state, and the I/O bitmaps computed from the port bus. Static slabs
// indexed by the VM's id (no allocation); the MSR bitmap is one shared page, the table being the
// same for every VM.
//
// Platform slot (PLATFORM_SLOT bytes, one per VM):
//   0 port Bus (24)   24 MMIO Bus (24)   48 TestDev (16)   64 ready (u32)
//   128 port ranges, PORT_RANGES × 24     512 MMIO ranges, MMIO_RANGES × 24
// I/O bitmaps: 8 KiB per VM (A then B), 4 KiB aligned, for the VMCS (SDM Vol 3C §24.6.4).
// Port-bus index: 64 KiB per VM (bus.ts).

import { Vm, MAX_VMS } from "../vm";
import { Bus, BusStatus, busInit, busAttachIndex, busRegister, PORT_LIMIT, GPA_LIMIT } from "../bus/bus";
import { ioBitmapBuild } from "../bus/io-bitmap";
import { msrBitmapBuild } from "../policy/msr-bitmap";
import { DeviceKind } from "./kinds";
import { DEBUGCON_PORT } from "./debugcon";
import { TestDev, testdevReset, TESTDEV_GPA, TESTDEV_SIZE } from "./testdev";
import { pcIs } from "../pc/pc";
import { pcRegisterPorts } from "../pc/pc-io";
import { LAPIC_DEFAULT_BASE, LAPIC_MMIO_SIZE } from "../platform/lapic-state";
import { IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE } from "../platform/ioapic";

const PLATFORM_SLOT: u32 = 1024;
const PORT_RANGES: u32 = 16;
const MMIO_RANGES: u32 = 8;
const OFF_PORT_BUS: usize = 0;
const OFF_MMIO_BUS: usize = 24;
const OFF_TESTDEV: usize = 48;
const OFF_READY: usize = 64;
const OFF_PORT_RANGES: usize = 128;
const OFF_MMIO_RANGES: usize = 512;

const SLOTS: usize = memory.data(<i32>(MAX_VMS * PLATFORM_SLOT), 16);
const IO_BITMAPS: usize = memory.data(<i32>(MAX_VMS * 8192), 4096);
const MSR_BITMAP: usize = memory.data(4096, 4096);
/** Each VM's port-bus index (bus.ts busAttachIndex): a byte per port. */
const PORT_INDEX: usize = memory.data(<i32>(MAX_VMS * <u32>PORT_LIMIT), 16);
let msrBitmapReady: bool = false;

/** The platform slot of `vm`. Invariant: vm.id < MAX_VMS (vm.ts hands out ids below it). */
@inline function slot(vm: Vm): usize { return SLOTS + <usize>(vm.id % MAX_VMS) * PLATFORM_SLOT; }

@inline export function platformPortBus(vm: Vm): Bus { return changetype<Bus>(slot(vm) + OFF_PORT_BUS); }
@inline export function platformMmioBus(vm: Vm): Bus { return changetype<Bus>(slot(vm) + OFF_MMIO_BUS); }
export function platformTestDev(vm: Vm): TestDev { return changetype<TestDev>(slot(vm) + OFF_TESTDEV); }
/** Whether platformSetup succeeded for this VM. */
@inline export function platformReady(vm: Vm): bool { return load<u32>(slot(vm) + OFF_READY) != 0; }

/** Physical address of `vm`'s I/O bitmap A (B follows 4 KiB later). */
export function platformIoBitmapA(vm: Vm): usize { return IO_BITMAPS + <usize>(vm.id % MAX_VMS) * 8192; }
export function platformIoBitmapB(vm: Vm): usize { return platformIoBitmapA(vm) + 4096; }
/** Physical address of the MSR bitmap (built on first use). */
export function platformMsrBitmap(): usize {
  if (!msrBitmapReady) {
    msrBitmapBuild(MSR_BITMAP);
    msrBitmapReady = true;
  }
  return MSR_BITMAP;
}

/**
 * Builds `vm`'s buses and devices (port 0xE9 console, test device) and its I/O bitmaps. Returns
 * the first registration failure (a VMM bug: the ranges are ours), or OK.
 */
export function platformSetup(vm: Vm): BusStatus {
  const s = slot(vm);
  memory.fill(s, 0, PLATFORM_SLOT);
  const ports = platformPortBus(vm);
  const mmio = platformMmioBus(vm);
  busInit(ports, s + OFF_PORT_RANGES, PORT_RANGES, PORT_LIMIT);
  busAttachIndex(ports, PORT_INDEX + <usize>(vm.id % MAX_VMS) * <usize>PORT_LIMIT);
  busInit(mmio, s + OFF_MMIO_RANGES, MMIO_RANGES, GPA_LIMIT);
  testdevReset(platformTestDev(vm));
  let st = busRegister(ports, DEBUGCON_PORT, 1, DeviceKind.DEBUGCON, changetype<usize>(vm));
  if (st != BusStatus.OK) return st;
  st = busRegister(mmio, TESTDEV_GPA, TESTDEV_SIZE, DeviceKind.TESTDEV, changetype<usize>(platformTestDev(vm)));
  if (st != BusStatus.OK) return st;
  // A Linux VM's PC platform (src/vmm/pc/): its ports, and the LAPIC/IOAPIC pages, which its EPT
  // leaves unmapped so that every access is an EPT violation decoded into a bus access.
  if (pcIs(vm)) {
    st = pcRegisterPorts(ports, vm);
    if (st != BusStatus.OK) return st;
    st = busRegister(mmio, LAPIC_DEFAULT_BASE, LAPIC_MMIO_SIZE, DeviceKind.PC_LAPIC, changetype<usize>(vm));
    if (st != BusStatus.OK) return st;
    st = busRegister(mmio, IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE, DeviceKind.PC_IOAPIC, changetype<usize>(vm));
    if (st != BusStatus.OK) return st;
  }
  ioBitmapBuild(ports, DeviceKind.PASSTHROUGH, platformIoBitmapA(vm), platformIoBitmapB(vm));
  store<u32>(s + OFF_READY, 1);
  return BusStatus.OK;
}
