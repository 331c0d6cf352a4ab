// Polled driver for the 16550 UART on COM1, the core's console.
//
// Register offsets and bits: National PC16550D data sheet, "Register summary" (Table II) and
// "Line Status Register". The sequence is the boot stub's (boot/serial.inc UART_INIT), so whichever
// side programs the port last leaves it in the same state. No interrupts: the core polls.

import { hw_inb, hw_outb, hw_pause } from "../../hw";

export const COM1: u32 = 0x3f8;

const UART_THR: u32 = 0; // transmit holding register (LCR.DLAB = 0)
const UART_DLL: u32 = 0; // divisor latch, low byte (LCR.DLAB = 1)
const UART_DLM: u32 = 1; // divisor latch, high byte (LCR.DLAB = 1)
const UART_IER: u32 = 1; // interrupt enable
const UART_FCR: u32 = 2; // FIFO control (write only)
const UART_LCR: u32 = 3; // line control
const UART_MCR: u32 = 4; // modem control
const UART_LSR: u32 = 5; // line status

const LCR_DLAB: u32 = 0x80; // divisor latch access
const LCR_8N1: u32 = 0x03; // word length 8 (bits 1:0 = 11), no parity, 1 stop bit
const FCR_ENABLE_CLEAR_14: u32 = 0xc7; // FIFOs on, clear RX and TX, RX trigger level 14
const MCR_DTR_RTS: u32 = 0x03; // OUT2 stays clear: the IRQ line is not driven

/** LSR bit 5: the transmit holding register (or TX FIFO) can take a byte. */
export const LSR_THRE: u32 = 0x20;
/** LSR bit 6: holding register and shift register both empty: every byte has left the UART. */
export const LSR_TEMT: u32 = 0x40;

/** 115200 baud = 1.8432 MHz input clock / (16 × divisor 1). */
const DIVISOR_115200: u32 = 1;

/**
 * Bound on LSR polls per wait. A missing UART reads 0xFF (all bits set, so never waits); a broken
 * one could read 0 forever, and the console must never be the thing that hangs the hypervisor.
 * Same bound as the stub's UART_POLL_LIMIT.
 */
const POLL_LIMIT: u32 = 100000;

/** Programs COM1: 115200 baud, 8N1, FIFOs enabled, interrupts off. */
export function uartInit(): void {
  hw_outb(COM1 + UART_IER, 0);
  hw_outb(COM1 + UART_LCR, LCR_DLAB);
  hw_outb(COM1 + UART_DLL, DIVISOR_115200 & 0xff);
  hw_outb(COM1 + UART_DLM, DIVISOR_115200 >> 8);
  hw_outb(COM1 + UART_LCR, LCR_8N1);
  hw_outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR_14);
  hw_outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

/** Polls LSR until any bit of `mask` is set, at most POLL_LIMIT reads. Returns true if it was. */
function waitLsr(mask: u32): bool {
  for (let i: u32 = 0; i < POLL_LIMIT; i++) {
    if ((hw_inb(COM1 + UART_LSR) & mask) != 0) return true;
    hw_pause();
  }
  return false;
}

/** Sends one byte once LSR.THRE says the holding register is free (drops it if it never is). */
export function uartPutByte(byte: u32): void {
  if (waitLsr(LSR_THRE)) hw_outb(COM1 + UART_THR, byte & 0xff);
}

/**
 * Waits until LSR.TEMT: every byte written has been shifted out. Call before stopping the CPU or
 * the emulator, or the last bytes still in the FIFO are lost.
 */
export function uartDrain(): void {
  waitLsr(LSR_TEMT);
}
