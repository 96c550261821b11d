/**
 * A grid of small grayscale images (sampled digits, say) as a figure: the
 * pixels go into a PNG pixel for pixel (enlarged by whole multiples, no
 * smoothing), which an SVG embeds under a title, so that the SVG and its PNG
 * rendering show exactly the same pixels.
 *
 * @example
 * ```ts
 * import { encodePng, imageGridSvg } from "./image_grid.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const png = await encodePng(2, 1, Uint8Array.of(0, 255)); // a black and a white pixel
 * const svg = await imageGridSvg({ title: "Digits", subtitle: "", images: [new Float32Array(4)], width: 2, height: 2 });
 * assertEquals(Array.from(png.subarray(1, 4)), [80, 78, 71]); // "PNG"
 * assert(svg.startsWith("<svg") || svg.includes("<svg"));
 * ```
 * @module
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

async function zlib(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  const typed = new TextEncoder().encode(type);
  out.set(typed, 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * An 8-bit PNG, grayscale (1 channel) or RGB (3 channels).
 * @param pixels [height * width * channels] row-major, 0 dark to 255 bright
 */
export async function encodePng(
  width: number,
  height: number,
  pixels: Uint8Array,
  channels: 1 | 3 = 1,
): Promise<Uint8Array> {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(`encodePng(): size must be positive integers, got ${width} x ${height}`);
  }
  const row = width * channels;
  if (pixels.length !== row * height) {
    throw new Error(
      `encodePng(): ${width} x ${height} x ${channels} needs ${row * height} values, got ${pixels.length}`,
    );
  }
  const raw = new Uint8Array(height * (row + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * row, (y + 1) * row), y * (row + 1) + 1);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, channels === 1 ? 0 : 2, 0, 0, 0], 8); // 8 bits, gray or RGB, deflate, no filter, no interlace
  const parts = [
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk("IHDR", header),
    chunk("IDAT", await zlib(raw)),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What a grid figure shows. */
export interface ImageGrid {
  title: string;
  subtitle: string;
  /** Each image's pixels, row-major, values in [0, 1] (1 is drawn white). */
  images: Float32Array[];
  width: number;
  height: number;
  /** Images per row (default 8). */
  columns?: number;
  /** Screen pixels per image pixel (default 3). */
  scale?: number;
}

/** Separator colour: steel blue, which no grayscale pixel has. */
const SEPARATOR = [70, 130, 180];

/** The grid's RGB pixels: images separated by 1-pixel steel-blue lines, enlarged by `scale`. */
export function gridPixels(g: ImageGrid): { width: number; height: number; rgb: Uint8Array } {
  const cols = Math.min(g.columns ?? 8, Math.max(1, g.images.length));
  const rows = Math.max(1, Math.ceil(g.images.length / cols));
  const s = g.scale ?? 3;
  const W = (cols * (g.width + 1) + 1) * s, H = (rows * (g.height + 1) + 1) * s;
  const rgb = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) rgb.set(SEPARATOR, 3 * i);
  g.images.forEach((img, i) => {
    if (img.length !== g.width * g.height) {
      throw new Error(`Image ${i} has ${img.length} pixels, expected ${g.width} x ${g.height}`);
    }
    const ox = ((i % cols) * (g.width + 1) + 1) * s, oy = (Math.floor(i / cols) * (g.height + 1) + 1) * s;
    for (let y = 0; y < g.height; y++) {
      for (let x = 0; x < g.width; x++) {
        const v = Math.round(255 * Math.min(1, Math.max(0, img[y * g.width + x])));
        for (let dy = 0; dy < s; dy++) {
          const at = (oy + y * s + dy) * W + ox + x * s;
          rgb.fill(v, 3 * at, 3 * (at + s));
        }
      }
    }
  });
  return { width: W, height: H, rgb };
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** An SVG with the title, subtitle and the grid as an embedded PNG. */
export async function imageGridSvg(g: ImageGrid): Promise<string> {
  const { width, height, rgb } = gridPixels(g);
  const png = await encodePng(width, height, rgb, 3);
  let binary = "";
  for (const b of png) binary += String.fromCharCode(b);
  const top = 52, pad = 10;
  // Wide enough for the title and subtitle (DejaVu Sans: about 0.62 em per character).
  const W = Math.ceil(Math.max(width + 2 * pad, 0.66 * 15 * g.title.length + 20, 0.62 * 11 * g.subtitle.length + 20));
  const H = height + top + pad;
  const x0 = Math.round((W - width) / 2);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-family="DejaVu Sans" font-size="15" font-weight="bold">${
      escapeXml(g.title)
    }</text>`,
    `<text x="${W / 2}" y="40" text-anchor="middle" font-family="DejaVu Sans" font-size="11" fill="#555">${
      escapeXml(g.subtitle)
    }</text>`,
    `<image x="${x0}" y="${top}" width="${width}" height="${height}" style="image-rendering:pixelated" xlink:href="data:image/png;base64,${
      btoa(binary)
    }"/>`,
    `</svg>`,
  ].join("\n");
}
