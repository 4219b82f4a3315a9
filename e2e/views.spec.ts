import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { expect, runPython, startListenerFromUi, test } from './fixtures';

/**
 * A Python client that connects, writes each piece with a pause between (TCP_NODELAY, so each
 * write is its own segment and most likely its own read), then waits for "bye" or a timeout.
 * Pieces are hex so any bytes can be sent.
 */
function pythonWriter(port: number, pieces: Array<Uint8Array | { dots: number }>, pauseMs = 120) {
  return runPython(
    `
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for piece in sys.argv[3:]:
    s.sendall(b'.' * int(piece[5:]) if piece.startswith('dots:') else bytes.fromhex(piece))
    time.sleep(float(sys.argv[2]) / 1000)
print('sent', flush=True)
s.settimeout(30)
try:
    s.recv(1)
except Exception:
    pass
s.close()
`,
    [String(port), String(pauseMs), ...pieces.map((p) => ('dots' in p ? `dots:${p.dots}` : Buffer.from(p).toString('hex')))],
  );
}

const text = (s: string) => new TextEncoder().encode(s);

function rowsOf(page: Page, table: string): Locator {
  return page.getByRole('table', { name: table }).getByRole('row');
}

async function chooseView(page: Page, view: 'Chunks' | 'Lines' | 'Stream' | 'Frames'): Promise<void> {
  await page.getByRole('radiogroup', { name: 'View' }).getByRole('radio', { name: view }).check();
}

test.describe('Reading the conversation', () => {
  test('Lines view: JSON lines merged and split across reads give exactly the lines sent, joined lines marked, CRLF shown as a mark', async ({ app }) => {
    const port = await startListenerFromUi(app);
    const lines = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: i, name: `sensor-${i}`, value: i * 1.5 }));
    // Two lines in one write; a line split over three writes; a CRLF line end split between writes.
    const pieces = [
      text(`${lines[0]}\n${lines[1]}\n`),
      text(lines[2]!.slice(0, 10)),
      text(lines[2]!.slice(10, 20)),
      text(`${lines[2]!.slice(20)}\n${lines[3]}\r`),
      text(`\n${lines[4]}\n${lines[5]}\n`),
    ];
    const peer = pythonWriter(port, pieces);
    await expect(app.getByRole('table', { name: 'Chunks' }).getByRole('row')).toHaveCount(5, { timeout: 15_000 });
    await chooseView(app, 'Lines');
    const rows = rowsOf(app, 'Lines');
    await expect(rows).toHaveCount(6);
    for (let i = 0; i < 6; i++) await expect(rows.nth(i).locator('.cell-data .oneline')).toHaveText(lines[i]!);
    // The split line says it was joined; the one-write lines do not.
    await expect(rows.nth(2).getByText('joined')).toBeVisible();
    await expect(rows.nth(0).getByText('joined')).toHaveCount(0);
    await expect(rows.nth(3).getByTitle('line ends with CR LF')).toBeVisible();
    await expect(rows.nth(0).getByTitle('line ends with LF')).toBeVisible();
    // Stream offsets: the third line starts after the first two and their line ends.
    const start = lines[0]!.length + 1 + lines[1]!.length + 1;
    await expect(rows.nth(2).locator('.cell-offsets')).toHaveText(`${start}–${start + lines[2]!.length}`);
    // Auto-detected JSON summary, and the decoded tree when the row is expanded.
    await app.getByLabel('Decode').selectOption('auto');
    await expect(rows.nth(1).locator('.row-summary')).toContainText('json');
    await rows.nth(1).getByRole('button', { name: 'Expand line 2' }).click();
    const tree = app.getByRole('tree', { name: 'Decoded value' });
    await expect(tree).toContainText('sensor-1');
    // The view is kept for the connection.
    await chooseView(app, 'Chunks');
    await chooseView(app, 'Lines');
    await expect(rowsOf(app, 'Lines')).toHaveCount(6);
    peer.child.kill();
  });

  test('Lines view: 60,000 lines list the newest 50,000; Show earlier lists the ones before, from the first line', async ({ app }) => {
    const port = await startListenerFromUi(app);
    const peer = runPython(
      `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(b''.join(b'line %d\\n' % i for i in range(60000)))
s.settimeout(60)
try:
    s.recv(1)
except Exception:
    pass
s.close()
`,
      [String(port)],
    );
    const log = app.getByRole('log', { name: 'Traffic' });
    await expect(log).toBeVisible({ timeout: 15_000 });
    await chooseView(app, 'Lines');
    // Every line is counted; the newest is listed at the bottom.
    await expect(app.getByText('60,000 lines', { exact: true })).toBeVisible({ timeout: 30_000 });
    const rows = rowsOf(app, 'Lines');
    await expect(rows.last().locator('.cell-data .oneline')).toHaveText('line 59999');
    // At the top, the lines before the window are named and can be shown.
    await log.evaluate((el) => (el.scrollTop = 0));
    const marker = rows.first();
    await expect(marker).toContainText('10,000 earlier lines not listed here');
    await expect(rows.nth(1).locator('.cell-data .oneline')).toHaveText('line 10000');
    await marker.getByRole('button', { name: 'Show earlier' }).click();
    // The rows that were on screen stay there; above them now come the first lines.
    await expect(rows.filter({ hasText: 'line 10000' }).first()).toBeVisible();
    await log.evaluate((el) => (el.scrollTop = 0));
    await expect(rows.first().locator('.cell-data .oneline')).toHaveText('line 0');
    await expect(app.getByText('earlier lines not listed here')).toHaveCount(0);
    peer.child.kill();
  });

  test('Frames view: 2-byte big-endian length-prefixed frames with headers split across reads give exactly the frames sent', async ({ app }) => {
    const port = await startListenerFromUi(app);
    const payloads = ['alpha', 'bravo-charlie', '', 'x'.repeat(300), 'delta'].map(text);
    const framed = payloads.map((p) => {
      const f = new Uint8Array(2 + p.length);
      f[0] = p.length >> 8;
      f[1] = p.length & 0xff;
      f.set(p, 2);
      return f;
    });
    const all = new Uint8Array(framed.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of framed) {
      all.set(f, at);
      at += f.length;
    }
    // Cut so that a header is split between reads (after byte 1 of frame 2's header), and a frame spans three reads.
    const cuts = [1, framed[0]!.length + 1, framed[0]!.length + framed[1]!.length + 2 + 1, all.length - 4];
    const pieces: Uint8Array[] = [];
    let prev = 0;
    for (const c of [...cuts, all.length]) {
      pieces.push(all.subarray(prev, c));
      prev = c;
    }
    const peer = pythonWriter(port, pieces);
    await expect(app.getByRole('table', { name: 'Chunks' }).getByRole('row')).toHaveCount(pieces.length, { timeout: 15_000 });
    await chooseView(app, 'Frames');
    await app.getByRole('button', { name: /^Framing:/ }).click();
    const form = app.getByRole('form', { name: 'Framing' });
    await form.getByLabel('Frame by').selectOption('length');
    await form.getByLabel('Length field').selectOption('2');
    await form.getByLabel('Byte order').selectOption('big');
    await form.getByRole('button', { name: 'Apply framing' }).click();
    await expect(app.getByRole('button', { name: /^Framing: 2-byte big-endian length/ })).toBeVisible();
    const rows = rowsOf(app, 'Frames');
    await expect(rows).toHaveCount(payloads.length);
    let offset = 0;
    for (let i = 0; i < framed.length; i++) {
      const f = framed[i]!;
      await expect(rows.nth(i).locator('.cell-size')).toHaveText(`${f.length} B`);
      await expect(rows.nth(i).locator('.cell-offsets')).toHaveText(`${offset}–${offset + f.length - 1}`);
      offset += f.length;
    }
    // A frame in hex: the header's two bytes, then the payload, at stream offsets.
    await app.getByRole('radio', { name: 'Hex dump' }).check();
    await expect(rows.nth(1).locator('.hex-offset').first()).toHaveText((framed[0]!.length).toString(16).padStart(8, '0'));
    // A bad framing says why, on the field.
    await app.getByRole('button', { name: /^Framing:/ }).click();
    await form.getByLabel('Frame by').selectOption('delimiter');
    await form.getByRole('combobox', { name: /^Delimiter/ }).selectOption('custom');
    await form.getByLabel('Delimiter bytes (hex)').fill('0d 0');
    await form.getByRole('button', { name: 'Apply framing' }).click();
    await expect(form.getByRole('alert')).toContainText('Delimiter: Delimiter has an odd number of hex digits');
    peer.child.kill();
  });

  test('Stream view merges each direction into runs with stream offsets and chunk boundaries; a delimiter frame split across chunks is one frame', async ({ app }) => {
    const port = await startListenerFromUi(app);
    const pieces = [text('GET / HTTP/1.1\r'), text('\nHost: x\r\n\r'), text('\n')];
    const peer = pythonWriter(port, pieces);
    await expect(app.getByRole('table', { name: 'Chunks' }).getByRole('row')).toHaveCount(3, { timeout: 15_000 });
    await chooseView(app, 'Stream');
    const rows = rowsOf(app, 'Runs');
    await expect(rows).toHaveCount(1);
    await expect(rows.first().locator('.cell-offsets')).toHaveText('0–26');
    await expect(rows.first().locator('.chunk-boundary')).toHaveCount(2);
    // CRLF-delimited frames: the delimiter split across two reads still ends the frame.
    await chooseView(app, 'Frames');
    await app.getByRole('button', { name: /^Framing:/ }).click();
    const form = app.getByRole('form', { name: 'Framing' });
    await form.getByRole('combobox', { name: /^Delimiter/ }).selectOption('crlf');
    await form.getByRole('button', { name: 'Apply framing' }).click();
    const frames = rowsOf(app, 'Frames');
    await expect(frames).toHaveCount(3);
    // As text, the delimiter is a mark after the payload.
    await expect(frames.nth(0).locator('.cell-data .oneline')).toHaveText('GET / HTTP/1.1');
    await expect(frames.nth(0).getByTitle("the frame's delimiter")).toHaveText('0d 0a');
    await expect(frames.nth(0).getByText('joined')).toBeVisible();
    await expect(frames.nth(1).locator('.cell-data .oneline')).toHaveText('Host: x');
    await expect(frames.nth(2).locator('.cell-data .oneline')).toHaveText('');
    peer.child.kill();
  });
});

/** The value beside a label in the byte inspector. */
function inspectorValue(page: Page, label: string): Locator {
  return page
    .getByRole('region', { name: 'Byte inspector' })
    .locator('dl > div', { has: page.locator('dt', { hasText: new RegExp(`^${label.replace(/[/()]/g, '\\$&')}$`) }) })
    .locator('dd');
}

test.describe('Decoders', () => {
  test('MessagePack, CBOR and protobuf frames (vectors from the formats\' specifications) are recognised and decoded; a wrong decoder says why on the row', async ({ app }) => {
    const port = await startListenerFromUi(app);
    const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
    const payloads = [
      // MessagePack's own example: {"compact": true, "schema": 0}.
      hex('82 a7 63 6f 6d 70 61 63 74 c3 a6 73 63 68 65 6d 61 00'),
      // RFC 8949 Appendix A: {"a": 1, "b": [2, 3]}.
      hex('a2 61 61 01 61 62 82 02 03'),
      // Protocol Buffers encoding guide: field 1 = 150, field 2 = "testing", field 3 = {1: 150}.
      hex('08 96 01 12 07 74 65 73 74 69 6e 67 1a 03 08 96 01'),
    ];
    const framed = payloads.map((p) => Uint8Array.from([p.length >> 8, p.length & 0xff, ...p]));
    const peer = pythonWriter(port, framed);
    await expect(app.getByRole('table', { name: 'Chunks' }).getByRole('row')).toHaveCount(3, { timeout: 15_000 });
    await chooseView(app, 'Frames');
    await app.getByRole('button', { name: /^Framing:/ }).click();
    const form = app.getByRole('form', { name: 'Framing' });
    await form.getByLabel('Frame by').selectOption('length');
    await form.getByRole('button', { name: 'Apply framing' }).click();
    await app.getByLabel('Decode').selectOption('auto');
    const rows = rowsOf(app, 'Frames');
    await expect(rows).toHaveCount(3);
    // As text, each frame's length header is shown apart from its payload.
    await expect(rows.nth(0).locator('.frame-head')).toHaveText('00 12');
    await expect(rows.nth(0).locator('.row-summary')).toContainText(/^msgpack: /);
    await expect(rows.nth(0).locator('.row-summary')).toContainText('compact');
    await expect(rows.nth(1).locator('.row-summary')).toContainText(/^cbor: /);
    await expect(rows.nth(2).locator('.row-summary')).toContainText(/^protobuf: /);
    await expect(rows.nth(2).locator('.row-summary')).toContainText('testing');
    await rows.nth(2).getByRole('button', { name: 'Expand frame 3' }).click();
    const tree = app.getByRole('tree', { name: 'Decoded value' });
    await expect(tree).toContainText('150');
    await expect(tree).toContainText('"testing"');
    await rows.nth(2).getByRole('button', { name: 'Collapse frame 3' }).click();
    await rows.nth(1).getByRole('button', { name: 'Expand frame 2' }).click();
    await expect(app.getByRole('tree', { name: 'Decoded value' })).toContainText('b');
    await rows.nth(1).getByRole('button', { name: 'Collapse frame 2' }).click();
    // JSON forced on binary: the row says why, and nothing breaks.
    await app.getByLabel('Decode').selectOption('json');
    await expect(rows.nth(0).locator('.row-summary.warn')).toBeVisible();
    await expect(rows).toHaveCount(3);
    peer.child.kill();
  });
});

test.describe('Search and the byte inspector', () => {
  test('a needle split across two chunks is found on a capture spilled to disk, as text, hex and regex; next, previous and only matching rows', async ({ app }) => {
    const port = await startListenerFromUi(app);
    // 3 MiB of filler (more than the capture's write buffer, so it is on disk), a needle split
    // across two writes, more filler, and the needle once more in one write.
    const filler = { dots: 1024 * 1024 };
    const peer = pythonWriter(port, [filler, filler, filler, text('..needle-SPL'), text('IT-here..'), filler, text('xx needle-split-here xx\n')], 150);
    // Every byte is in once the last write's chunk is shown.
    await expect(app.getByRole('table', { name: 'Chunks' }).getByRole('row').last()).toContainText('xx needle-split-here xx', { timeout: 30_000 });

    await app.keyboard.press('Control+f');
    const bar = app.getByRole('search', { name: 'Search the traffic' });
    await expect(bar.getByLabel('Find')).toBeFocused();
    await bar.getByLabel('Find').fill('needle-split-here');
    await bar.getByRole('button', { name: 'Search', exact: true }).click();
    // Case-insensitive by default: both occurrences, one of them across the chunk boundary.
    await expect(bar.getByRole('status')).toHaveText(/Match 1 of 2/, { timeout: 20_000 });
    await expect(app.locator('mark.match-current')).toHaveCount(2); // the needle is painted in both chunks it spans
    await bar.getByRole('button', { name: 'Next match' }).click();
    await expect(bar.getByRole('status')).toHaveText(/Match 2 of 2/);
    await bar.getByRole('button', { name: 'Previous match' }).click();
    await expect(bar.getByRole('status')).toHaveText(/Match 1 of 2/);
    // Case-sensitive: only the second (lower-case) one.
    await bar.getByLabel('Match case').check();
    await bar.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(bar.getByRole('status')).toHaveText(/Match 1 of 1$/, { timeout: 20_000 });
    // Hex, split across the boundary ("SPL" | "IT").
    await bar.getByRole('combobox', { name: /^As/ }).selectOption('hex');
    await bar.getByLabel('Find').fill(Buffer.from('SPLIT').toString('hex').replace(/(..)/g, '$1 ').trim());
    await bar.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(bar.getByRole('status')).toHaveText(/Match 1 of 1$/, { timeout: 20_000 });
    // A hex string with an odd digit is refused with a clear error.
    await bar.getByLabel('Find').fill('de a');
    await bar.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(bar.getByRole('alert')).toContainText(/odd number of digits/i);
    // Regex across the boundary.
    await bar.getByRole('combobox', { name: /^As/ }).selectOption('regex');
    await bar.getByLabel('Match case').uncheck();
    await bar.getByLabel('Find').fill('needle-s[a-z]+it-HERE');
    await bar.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(bar.getByRole('status')).toHaveText(/Match 1 of 2/, { timeout: 20_000 });
    // Only matching rows: the three chunks that hold a match.
    await bar.getByLabel('Show only matching rows').check();
    await expect(app.getByRole('table', { name: 'Chunks' }).getByRole('row')).toHaveCount(3);
    // In Lines view only the last line matches (the filler has no line ends: one long cut line holds the first).
    await chooseView(app, 'Lines');
    await expect(app.getByRole('table', { name: 'Lines' }).getByRole('row').last()).toContainText('needle-split-here');
    await bar.getByLabel('Show only matching rows').uncheck();
    await app.keyboard.press('Escape');
    peer.child.kill();
  });

  test('byte inspector: select bytes with the mouse and shift+arrows; numbers, text and checksums from the CRC catalogue', async ({ app }) => {
    const port = await startListenerFromUi(app);
    const peer = pythonWriter(port, [text('123456789'), Uint8Array.of(0xff, 0xfe, 0x00, 0x00, 0x80, 0x3f)]);
    await expect(app.getByRole('table', { name: 'Chunks' }).getByRole('row')).toHaveCount(2, { timeout: 15_000 });
    await app.getByRole('radio', { name: 'Hex dump' }).check();
    const first = app.getByRole('table', { name: 'Chunks' }).getByRole('row').first();
    await first.locator('[data-off="0"]').click();
    await first.locator('[data-off="8"]').click({ modifiers: ['Shift'] });
    const inspector = app.getByRole('region', { name: 'Byte inspector' });
    await expect(inspector).toContainText('Length 9 bytes');
    await expect(inspectorValue(app, 'CRC-32')).toHaveText('0xCBF43926');
    await expect(inspectorValue(app, 'CRC-16/MODBUS')).toHaveText('0x4B37');
    await expect(inspectorValue(app, 'CRC-16/CCITT-FALSE')).toHaveText('0x29B1');
    await expect(inspectorValue(app, 'Sum-8')).toHaveText('0xDD');
    await expect(inspectorValue(app, 'XOR-8')).toHaveText('0x31');
    await expect(inspector).toContainText('123456789');
    // Shift+Left takes the last byte off the selection.
    await app.keyboard.press('Shift+ArrowLeft');
    await expect(inspector).toContainText('Length 8 bytes');
    // The second chunk: stream offsets continue (9 onwards); ff fe is int16 BE -2, 00 00 80 3f is float32 LE 1.
    const second = app.getByRole('table', { name: 'Chunks' }).getByRole('row').nth(1);
    await second.locator('[data-off="9"]').click();
    await second.locator('[data-off="10"]').click({ modifiers: ['Shift'] });
    await expect(inspectorValue(app, 'int16 BE')).toHaveText('-2');
    await expect(inspectorValue(app, 'int16 LE')).toHaveText('-257');
    await expect(inspectorValue(app, 'uint16 BE')).toHaveText('65534');
    await second.locator('[data-off="11"]').click();
    await second.locator('[data-off="14"]').click({ modifiers: ['Shift'] });
    await expect(inspectorValue(app, 'float32 LE')).toHaveText('1');
    await inspector.getByRole('button', { name: 'Close inspector' }).click();
    await expect(inspector).toHaveCount(0);
    peer.child.kill();
  });
});

test.describe('Accessibility of the readings', () => {
  test('find bar, framing form, decoded tree and byte inspector: no serious or critical axe violations (WCAG 2.1 AA), light and dark', async ({ app }) => {
    const port = await startListenerFromUi(app);
    const msg = Uint8Array.from(Buffer.from('82a7636f6d70616374c3a6736368656d6100', 'hex'));
    const peer = pythonWriter(port, [Uint8Array.from([0, msg.length, ...msg]), text('{"a":1}\n')]);
    await expect(app.getByRole('table', { name: 'Chunks' }).getByRole('row')).toHaveCount(2, { timeout: 15_000 });
    const check = async (what: string) => {
      const results = await new AxeBuilder({ page: app }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(bad.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), what).toEqual([]);
    };
    for (const scheme of ['dark', 'light'] as const) {
      await app.emulateMedia({ colorScheme: scheme });
      await chooseView(app, 'Frames');
      await app.getByRole('button', { name: /^Framing:/ }).click();
      await app.getByRole('form', { name: 'Framing' }).getByLabel('Frame by').selectOption('length');
      await check(`framing form (${scheme})`);
      await app.getByRole('form', { name: 'Framing' }).getByRole('button', { name: 'Apply framing' }).click();
      await app.getByLabel('Decode').selectOption('auto');
      await rowsOf(app, 'Frames').first().getByRole('button', { name: 'Expand frame 1' }).click();
      await expect(app.getByRole('tree', { name: 'Decoded value' })).toBeVisible();
      await app.keyboard.press('Control+f');
      await app.getByRole('search', { name: 'Search the traffic' }).getByLabel('Find').fill('compact');
      await app.getByRole('search', { name: 'Search the traffic' }).getByRole('button', { name: 'Search', exact: true }).click();
      await expect(app.getByRole('search', { name: 'Search the traffic' }).getByRole('status')).toHaveText(/Match 1 of 1/);
      await check(`frames, decoded tree and find bar (${scheme})`);
      await rowsOf(app, 'Frames').first().getByRole('button', { name: 'Collapse frame 1' }).click();
      await app.getByRole('radio', { name: 'Hex dump' }).check();
      await rowsOf(app, 'Frames').first().locator('[data-off="2"]').click();
      await rowsOf(app, 'Frames').first().locator('[data-off="5"]').click({ modifiers: ['Shift'] });
      await expect(app.getByRole('region', { name: 'Byte inspector' })).toContainText('Length 4 bytes');
      await chooseView(app, 'Lines');
      await check(`lines with matches and the byte inspector (${scheme})`);
      await app.getByRole('region', { name: 'Byte inspector' }).getByRole('button', { name: 'Close inspector' }).click();
      await app.getByRole('button', { name: 'Close search' }).click();
      await app.getByRole('radio', { name: 'Text' }).check();
    }
    peer.child.kill();
  });
});
