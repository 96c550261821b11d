import { assert, assertEquals, assertThrows } from "../../../../helpers/assert.ts";
import { encodePng, gridPixels, imageGridSvg } from "../../../../../lib/engine/kinds/plots/image_grid.ts";

/** Reads a PNG's chunks, checking every CRC, and inflates its image data. */
async function decodePng(png: Uint8Array) {
  assertEquals([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset);
  const chunks: { type: string; data: Uint8Array }[] = [];
  for (let at = 8; at < png.length;) {
    const len = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    let c = 0xffffffff;
    for (const b of png.subarray(at + 4, at + 8 + len)) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    assertEquals((c ^ 0xffffffff) >>> 0, view.getUint32(at + 8 + len), `CRC of ${type}`);
    chunks.push({ type, data });
    at += 12 + len;
  }
  const ihdr = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset);
  const stream = new Blob([chunks.find((c) => c.type === "IDAT")!.data as BlobPart]).stream()
    .pipeThrough(new DecompressionStream("deflate"));
  return {
    types: chunks.map((c) => c.type),
    width: ihdr.getUint32(0),
    height: ihdr.getUint32(4),
    colorType: chunks[0].data[9],
    raw: new Uint8Array(await new Response(stream).arrayBuffer()),
  };
}

Deno.test("encodePng() writes a valid PNG whose rows hold the given pixels", async () => {
  const png = await encodePng(3, 2, Uint8Array.of(0, 128, 255, 10, 20, 30));
  const d = await decodePng(png);
  assertEquals(d.types, ["IHDR", "IDAT", "IEND"]);
  assertEquals([d.width, d.height, d.colorType], [3, 2, 0]);
  assertEquals([...d.raw], [0, 0, 128, 255, 0, 10, 20, 30], "filter byte 0, then the row");
  const rgb = await decodePng(await encodePng(1, 1, Uint8Array.of(1, 2, 3), 3));
  assertEquals([rgb.colorType, ...rgb.raw], [2, 0, 1, 2, 3]);
  await encodePng(2, 2, new Uint8Array(3)).then(
    () => assert(false, "a wrong pixel count must be rejected"),
    (e) => assert(/2 x 2 x 1 needs 4 values, got 3/.test(e.message), e.message),
  );
});

Deno.test("gridPixels() places image i at column i % columns, row i / columns, enlarged by scale", () => {
  const white = new Float32Array(4).fill(1), black = new Float32Array(4);
  const g = gridPixels({
    title: "",
    subtitle: "",
    images: [white, black, white],
    width: 2,
    height: 2,
    columns: 2,
    scale: 1,
  });
  // 2 columns x 2 rows of 2x2 images with 1-pixel separators: 7 x 7.
  assertEquals([g.width, g.height], [7, 7]);
  const at = (x: number, y: number) => [...g.rgb.subarray(3 * (y * 7 + x), 3 * (y * 7 + x) + 3)];
  assertEquals(at(1, 1), [255, 255, 255], "image 0 is white");
  assertEquals(at(4, 1), [0, 0, 0], "image 1 is black");
  assertEquals(at(1, 4), [255, 255, 255], "image 2 starts the second row");
  assertEquals(at(0, 0), [70, 130, 180], "separators are steel blue");
  assertEquals(at(4, 4), [70, 130, 180], "the missing fourth image stays background");
  assertThrows(
    () => gridPixels({ title: "", subtitle: "", images: [new Float32Array(3)], width: 2, height: 2 }),
    /Image 0 has 3 pixels, expected 2 x 2/,
  );
});

Deno.test("imageGridSvg() embeds the grid as a PNG under an escaped title", async () => {
  const svg = await imageGridSvg({
    title: "Digits <HNCA>",
    subtitle: "seed 0",
    images: [new Float32Array(4)],
    width: 2,
    height: 2,
  });
  assert(svg.startsWith("<svg"), svg.slice(0, 40));
  assert(svg.includes("Digits &lt;HNCA&gt;") && svg.includes("seed 0"), "title and subtitle");
  const b64 = svg.match(/data:image\/png;base64,([A-Za-z0-9+/=]+)/)![1];
  const png = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const d = await decodePng(png);
  assertEquals([d.width, d.height], [(1 * 3 + 1) * 3, (1 * 3 + 1) * 3]);
});
