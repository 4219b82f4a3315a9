import { describe, expect, it } from 'vitest';
import { parseEscapes } from './bytes';
import { formatChecksum, formatCopy, interpret, unixTimes, utf8View, type Interpretation } from './inspect';

const b = (...xs: number[]) => new Uint8Array(xs);
const hex = (text: string) => new Uint8Array(text.match(/../g)!.map((h) => parseInt(h, 16)));
const valueOf = (rows: Interpretation[], label: string) => rows.find((r) => r.label === label)?.value;

describe('interpret', () => {
  it('reads ff fe as 16-bit values in both byte orders', () => {
    const rows = interpret(b(0xff, 0xfe));
    expect(valueOf(rows, 'int8')).toBe('-1');
    expect(valueOf(rows, 'uint8')).toBe('255');
    expect(valueOf(rows, 'int16 LE')).toBe('-257');
    expect(valueOf(rows, 'int16 BE')).toBe('-2');
    expect(valueOf(rows, 'uint16 LE')).toBe('65279');
    expect(valueOf(rows, 'uint16 BE')).toBe('65534');
    // Only what two bytes can hold.
    expect(rows.map((r) => r.label)).toEqual(['int8', 'uint8', 'int16 LE', 'int16 BE', 'uint16 LE', 'uint16 BE']);
  });

  it('reads fe ff as int16 LE -2', () => {
    expect(valueOf(interpret(b(0xfe, 0xff)), 'int16 LE')).toBe('-2');
  });

  it('offers each type only when enough bytes are selected', () => {
    expect(interpret(b())).toEqual([]);
    expect(interpret(b(1)).map((r) => r.label)).toEqual(['int8', 'uint8']);
    const four = interpret(b(1, 2, 3, 4)).map((r) => r.label);
    expect(four).toContain('float32 BE');
    expect(four).not.toContain('int64 LE');
    expect(four).not.toContain('float64 LE');
    expect(interpret(new Uint8Array(8))).toHaveLength(18);
    // Longer selections are read from their start.
    expect(interpret(new Uint8Array(100))).toHaveLength(18);
  });

  it('reads floats, showing the shortest decimal that is the same float32', () => {
    const rows = interpret(b(0x00, 0x00, 0x80, 0x3f));
    expect(valueOf(rows, 'float32 LE')).toBe('1');
    expect(valueOf(rows, 'float32 BE')).toBe('4.6006e-41');
    expect(valueOf(interpret(hex('cdcccc3d')), 'float32 LE')).toBe('0.1');
    expect(valueOf(interpret(hex('000000000000f03f')), 'float64 LE')).toBe('1');
    expect(valueOf(interpret(hex('3ff0000000000000')), 'float64 BE')).toBe('1');
    expect(valueOf(interpret(hex('00000080')), 'float32 LE')).toBe('-0');
    expect(valueOf(interpret(hex('0000c07f')), 'float32 LE')).toBe('NaN');
    expect(valueOf(interpret(hex('000000000000f0ff')), 'float64 LE')).toBe('-Infinity');
  });

  it('reads 64-bit values above 2^53 exactly', () => {
    // Values from Python: struct.unpack('<q', ...), struct.unpack('>Q', ...).
    const rows = interpret(hex('ffffffffffffff7f'));
    expect(valueOf(rows, 'int64 LE')).toBe('9223372036854775807');
    expect(valueOf(rows, 'uint64 BE')).toBe('18446744073709551487');
    const mixed = interpret(hex('0123456789abcdef'));
    expect(valueOf(mixed, 'int64 LE')).toBe('-1167088121787636991');
    expect(valueOf(mixed, 'uint64 LE')).toBe('17279655951921914625');
    expect(valueOf(mixed, 'int64 BE')).toBe('81985529216486895');
    expect(valueOf(mixed, 'uint64 BE')).toBe('81985529216486895');
    expect(valueOf(interpret(hex('0000000000002000')), 'uint64 LE')).toBe('9007199254740992');
    expect(valueOf(interpret(hex('0100000000002000')), 'uint64 LE')).toBe('9007199254740993');
  });

  it('reads 32-bit integers', () => {
    const rows = interpret(hex('80000001'));
    expect(valueOf(rows, 'int32 BE')).toBe('-2147483647');
    expect(valueOf(rows, 'uint32 BE')).toBe('2147483649');
    expect(valueOf(rows, 'int32 LE')).toBe('16777344');
  });

  it('reads a subarray from its own start, not its buffer’s', () => {
    const whole = b(0xaa, 0xbb, 0x01, 0x00);
    expect(valueOf(interpret(whole.subarray(2)), 'uint16 LE')).toBe('1');
  });
});

describe('utf8View', () => {
  it('decodes valid text', () => {
    const v = utf8View(new TextEncoder().encode('héllo €'));
    expect(v).toEqual({ text: 'héllo €', replaced: 0, startsMidCharacter: false, endsMidCharacter: false, decodedBytes: 10 });
  });

  it('shows invalid sequences as U+FFFD and counts them', () => {
    const v = utf8View(b(0x61, 0xff, 0x62, 0xc0, 0xaf));
    expect(v.text).toBe('a\ufffdb\ufffd\ufffd');
    expect(v.replaced).toBe(3);
  });

  it('does not count a U+FFFD the bytes really encode', () => {
    const v = utf8View(b(0xef, 0xbf, 0xbd, 0xff));
    expect(v.text).toBe('\ufffd\ufffd');
    expect(v.replaced).toBe(1);
  });

  it('says when the selection cuts a character at either end', () => {
    const euro = [0xe2, 0x82, 0xac];
    expect(utf8View(b(0x61, euro[0]!, euro[1]!)).endsMidCharacter).toBe(true);
    expect(utf8View(b(euro[1]!, euro[2]!, 0x61)).startsMidCharacter).toBe(true);
    expect(utf8View(b(0x61, ...euro)).endsMidCharacter).toBe(false);
  });

  it('decodes at most maxBytes, backing off to a character boundary', () => {
    const bytes = new TextEncoder().encode('ab€cd');
    const v = utf8View(bytes, 3);
    expect(v.text).toBe('ab');
    expect(v.decodedBytes).toBe(2);
    expect(v.replaced).toBe(0);
    expect(v.endsMidCharacter).toBe(false);
    expect(utf8View(bytes, 5).text).toBe('ab€');
  });
});

describe('unixTimes', () => {
  it('reads seconds from a 32-bit value in either byte order', () => {
    // 0x5F5E1000 = 1600000000 s: Python's datetime.utcfromtimestamp gives 2020-09-13 12:26:40.
    // Read the other way, 0x00105E5F = 1072735 s is 1970-01-13T09:58:55: in range, so shown too.
    expect(unixTimes(hex('5f5e1000'))).toEqual([
      { label: 'uint32 LE seconds', iso: '1970-01-13T09:58:55Z' },
      { label: 'uint32 BE seconds', iso: '2020-09-13T12:26:40Z' },
    ]);
    expect(unixTimes(hex('00105e5f'))).toContainEqual({ label: 'uint32 LE seconds', iso: '2020-09-13T12:26:40Z' });
  });

  it('reads seconds and milliseconds from 64-bit values', () => {
    // struct.pack('<q', 1600000000) and struct.pack('>Q', 1600000000123).
    expect(unixTimes(hex('00105e5f00000000'))).toContainEqual({ label: 'int64 LE seconds', iso: '2020-09-13T12:26:40Z' });
    expect(unixTimes(hex('00000174876e807b'))).toContainEqual({ label: 'int64 BE milliseconds', iso: '2020-09-13T12:26:40.123Z' });
  });

  it('shows only times in the years 1970 to 2100', () => {
    expect(unixTimes(hex('ffffffff'))).toEqual([]); // 2106 either way
    expect(unixTimes(hex('ffffffffffffffff'))).toEqual([]); // -1: before 1970
    expect(unixTimes(b(1, 2, 3))).toEqual([]);
    // calendar.timegm((2100, 1, 1, 0, 0, 0)) = 4102444800 = 0xF4865700; 2101-01-01 is 0xF6678A80.
    expect(unixTimes(hex('f4865700'))).toContainEqual({ label: 'uint32 BE seconds', iso: '2100-01-01T00:00:00Z' });
    expect(unixTimes(hex('f6678a7f')).map((t) => t.iso)).toContain('2100-12-31T23:59:59Z');
    expect(unixTimes(hex('f6678a80')).map((t) => t.label)).not.toContain('uint32 BE seconds');
    expect(unixTimes(hex('00000000')).map((t) => t.iso)).toEqual(['1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z']);
  });
});

describe('formatChecksum', () => {
  it('pads to the checksum’s width', () => {
    expect(formatChecksum('crc32', 0xcbf43926)).toBe('0xCBF43926');
    expect(formatChecksum('crc32', 0x1)).toBe('0x00000001');
    expect(formatChecksum('crc16modbus', 0x4b37)).toBe('0x4B37');
    expect(formatChecksum('crc16ccittFalse', 0x00b1)).toBe('0x00B1');
    expect(formatChecksum('sum8', 0x0f)).toBe('0x0F');
    expect(formatChecksum('xor8', 0x31)).toBe('0x31');
  });
});

describe('formatCopy', () => {
  const tricky = b(0x00, 0x27, 0x5c, 0x7f, 0xff);

  it('hex: space-separated lower-case pairs', () => {
    expect(formatCopy(tricky, 'hex')).toBe('00 27 5c 7f ff');
  });

  it('escaped text: the escapes the send bar reads back', () => {
    const text = formatCopy(tricky, 'escaped');
    expect(text).toBe("\\0'\\\\\\x7f\\xff");
    const back = parseEscapes(text);
    expect(back.ok && Array.from(back.bytes)).toEqual(Array.from(tricky));
  });

  it('base64', () => {
    expect(formatCopy(tricky, 'base64')).toBe('ACdcf/8=');
  });

  it('C array, 12 bytes a line', () => {
    expect(formatCopy(tricky, 'c')).toBe('const uint8_t data[5] = { 0x00, 0x27, 0x5c, 0x7f, 0xff };');
    const long = formatCopy(Uint8Array.from({ length: 13 }, (_, i) => i), 'c');
    expect(long).toBe(
      'const uint8_t data[13] = {\n' +
        '    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,\n' +
        '    0x0c\n' +
        '};',
    );
  });

  it("Python bytes, as Python's repr() writes them", () => {
    // Expected values printed by Python 3's repr().
    expect(formatCopy(tricky, 'python')).toBe('b"\\x00\'\\\\\\x7f\\xff"');
    expect(formatCopy(b(0x68, 0x69, 0x00, 0x0a), 'python')).toBe("b'hi\\x00\\n'");
    expect(formatCopy(b(0x27, 0x00), 'python')).toBe('b"\'\\x00"');
    expect(formatCopy(b(0x00, 0x27, 0x5c, 0x7f, 0xff, 0x68, 0x09, 0x0a, 0x0d, 0x22), 'python')).toBe(
      "b'\\x00\\'\\\\\\x7f\\xffh\\t\\n\\r\"'",
    );
    expect(formatCopy(b(), 'python')).toBe("b''");
  });
});
