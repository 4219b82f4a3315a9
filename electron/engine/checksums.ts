/**
 * Checksums of a selection for the byte inspector. They live in the engine because the crc
 * package's type declarations pull in Node's types, which the renderer's tsconfig keeps out.
 * The calculators are imported directly: they take a Uint8Array as it is, where crc's wrapped
 * modules first copy every input into a Buffer.
 */
import crc16ccitt from 'crc/calculators/crc16ccitt';
import crc16modbus from 'crc/calculators/crc16modbus';
import crc32 from 'crc/calculators/crc32';
import type { Checksums } from '../../shared/inspect';

/**
 * Checksums computed piece by piece, for a selection too large to read at once. Feeding the
 * pieces in order gives the same result as `checksums` on all of them.
 */
export class ChecksumAccumulator {
  // The crc calculators continue from the previous piece's finished value. CRC-16/MODBUS and
  // CRC-16/CCITT-FALSE have no final xor, so that value is their register.
  private crc32 = 0;
  private crc16modbus = 0xffff;
  private crc16ccittFalse = 0xffff;
  private sum8 = 0;
  private xor8 = 0;
  private started = false;

  /** Adds the next piece of the selection. */
  update(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    // crc's CRC-32 reads a previous value of 0 as "start from a zero register" rather than
    // "continue after a CRC of 0", so the first piece passes no previous value, and a running
    // CRC that is 0 is passed as 2^32: the same 32 bits, but not === 0.
    const previous32 = this.started ? (this.crc32 === 0 ? 2 ** 32 : this.crc32) : undefined;
    this.crc32 = crc32(bytes, previous32) >>> 0;
    this.crc16modbus = crc16modbus(bytes, this.crc16modbus);
    this.crc16ccittFalse = crc16ccitt(bytes, this.crc16ccittFalse);
    let sum = this.sum8;
    let xor = this.xor8;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      sum += b;
      xor ^= b;
    }
    this.sum8 = sum & 0xff;
    this.xor8 = xor;
    this.started = true;
  }

  /** The checksums of everything added so far (of nothing: the catalogue's values for an empty message). */
  result(): Checksums {
    return {
      crc32: this.crc32,
      crc16modbus: this.crc16modbus,
      crc16ccittFalse: this.crc16ccittFalse,
      sum8: this.sum8,
      xor8: this.xor8,
    };
  }
}

/** CRC-32, CRC-16/MODBUS, CRC-16/CCITT-FALSE, sum-8 and XOR-8 of the bytes. */
export function checksums(bytes: Uint8Array): Checksums {
  const acc = new ChecksumAccumulator();
  acc.update(bytes);
  return acc.result();
}
