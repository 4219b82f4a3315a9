// Draws build/icon.png (512×512 RGBA): a teal magnifying glass over a wall-socket face on a dark
// rounded square. Shapes are signed-distance functions sampled 4×4 per pixel for smooth edges;
// the PNG is written by hand with node:zlib, so no image library is needed.
// Run: node scripts/make-icon.mjs [output.png]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 512;
const SAMPLES = 4;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const output = path.resolve(process.argv[2] ?? path.join(root, 'build', 'icon.png'));

// Distances are negative inside a shape.
const roundedSquare = (x, y, cx, cy, half, r) => {
  const qx = Math.abs(x - cx) - (half - r);
  const qy = Math.abs(y - cy) - (half - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
const circle = (x, y, cx, cy, r) => Math.hypot(x - cx, y - cy) - r;
const capsule = (x, y, ax, ay, bx, by, r) => {
  const px = x - ax;
  const py = y - ay;
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - dx * t, py - dy * t) - r;
};

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16) / 255);
const TOP = hex('#1f2a3a');
const BOTTOM = hex('#0b111c');
const TEAL = hex('#2dd4bf');
const TEAL_DARK = hex('#14b8a6');
const TEAL_LIGHT = hex('#99f6e4');

const lens = { x: 222, y: 222, outer: 150, inner: 118 };
const diag = Math.SQRT1_2;
const handleStart = [lens.x + lens.outer * diag - 6, lens.y + lens.outer * diag - 6];

/** Colour (straight RGB) and coverage of one sample point, painted back to front. */
function sample(x, y) {
  let r = 0;
  let g = 0;
  let b = 0;
  let a = 0;
  const over = (color, alpha) => {
    // Premultiplied "source over".
    r = color[0] * alpha + r * (1 - alpha);
    g = color[1] * alpha + g * (1 - alpha);
    b = color[2] * alpha + b * (1 - alpha);
    a = alpha + a * (1 - alpha);
  };
  if (roundedSquare(x, y, 256, 256, 240, 104) <= 0) {
    const t = y / SIZE;
    over(TOP.map((c, i) => c + (BOTTOM[i] - c) * t), 1);
  } else {
    return [0, 0, 0, 0];
  }
  const fromCentre = Math.hypot(x - lens.x, y - lens.y);
  if (fromCentre <= lens.inner) over(TEAL, 0.1); // the glass
  if (capsule(x, y, handleStart[0], handleStart[1], 414, 414, 30) <= 0 && fromCentre > lens.inner) over(TEAL_DARK, 1);
  if (fromCentre <= lens.outer && fromCentre >= lens.inner) over(TEAL, 1); // the rim
  // The socket face seen through the glass: two slots and a round earth pin hole.
  const slots =
    capsule(x, y, 180, 176, 180, 236, 15) <= 0 ||
    capsule(x, y, 264, 176, 264, 236, 15) <= 0 ||
    circle(x, y, 222, 288, 19) <= 0;
  if (slots) over(TEAL_LIGHT, 1);
  return [r, g, b, a];
}

const pixels = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let py = 0; py < SIZE; py++) {
  const row = py * (SIZE * 4 + 1);
  pixels[row] = 0; // PNG filter: none
  for (let px = 0; px < SIZE; px++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let a = 0;
    for (let sy = 0; sy < SAMPLES; sy++) {
      for (let sx = 0; sx < SAMPLES; sx++) {
        const s = sample(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES);
        r += s[0];
        g += s[1];
        b += s[2];
        a += s[3];
      }
    }
    const n = SAMPLES * SAMPLES;
    const alpha = a / n;
    const o = row + 1 + px * 4;
    const straight = (v) => (alpha > 0 ? Math.round(Math.min(1, v / n / alpha) * 255) : 0);
    pixels[o] = straight(r);
    pixels[o + 1] = straight(g);
    pixels[o + 2] = straight(b);
    pixels[o + 3] = Math.round(alpha * 255);
  }
}

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bits per channel
header[9] = 6; // RGBA
header[10] = 0; // deflate
header[11] = 0; // adaptive filtering
header[12] = 0; // no interlace

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(pixels, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
mkdirSync(path.dirname(output), { recursive: true });
writeFileSync(output, png);
console.log(`Wrote ${path.relative(process.cwd(), output) || output} (${SIZE}×${SIZE}, ${png.length} bytes)`);
