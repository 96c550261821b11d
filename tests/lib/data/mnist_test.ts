import { assert, assertEquals, assertRejects } from "../../helpers/assert.ts";
import { join } from "node:path";
import { loadMnist, MNIST_FILES, mnistDigest, npmMnistDir, prepareMnist } from "../../../lib/data/mnist.ts";

const NAMES = Object.keys(MNIST_FILES) as (keyof typeof MNIST_FILES)[];

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

Deno.test("prepareMnist() verifies the npm package's files and loads 60k + 10k images", async () => {
  const cache = await Deno.makeTempDir();
  const { dir, digest } = await prepareMnist({ source: "npm" }, { cacheDir: cache });
  assertEquals(digest, await mnistDigest());
  const m = await loadMnist(dir);
  assertEquals([m.train.count, m.test.count, m.pixels], [60000, 10000, 784]);
  assertEquals(m.train.images.length, 60000 * 784);
  assertEquals([...m.train.labels.subarray(0, 5)], [5, 0, 4, 1, 9]);
  assertEquals([...m.test.labels.subarray(0, 5)], [7, 2, 1, 0, 4]);
});

Deno.test("prepareMnist() reads the original layout: a folder of raw or gzipped IDX files", async () => {
  const raw = await Deno.makeTempDir(), gz = await Deno.makeTempDir();
  for (const name of NAMES) {
    const bytes = await Deno.readFile(join(npmMnistDir(), name));
    await Deno.writeFile(join(raw, name), bytes);
    await Deno.writeFile(join(gz, `${name}.gz`), await gzip(bytes));
  }
  const a = await prepareMnist({ source: "dir", path: raw }, { cacheDir: await Deno.makeTempDir() });
  const b = await prepareMnist({ source: "dir", path: gz }, { cacheDir: await Deno.makeTempDir() });
  assertEquals(a.digest, b.digest);
  assertEquals((await loadMnist(b.dir)).test.labels, (await loadMnist(a.dir)).test.labels);
});

Deno.test("prepareMnist() refuses a corrupt, missing, truncated or mislabelled file, naming it", async () => {
  const base = await Deno.makeTempDir();
  const copy = async (sub: string) => {
    const d = join(base, sub);
    await Deno.mkdir(d);
    for (const name of NAMES) await Deno.copyFile(join(npmMnistDir(), name), join(d, name));
    return d;
  };
  const cache = await Deno.makeTempDir();
  const corrupt = await copy("corrupt");
  const bytes = await Deno.readFile(join(corrupt, "t10k-labels-idx1-ubyte"));
  bytes[100] ^= 1;
  await Deno.writeFile(join(corrupt, "t10k-labels-idx1-ubyte"), bytes);
  await assertRejects(
    () => prepareMnist({ source: "dir", path: corrupt }, { cacheDir: cache }),
    /MNIST file t10k-labels-idx1-ubyte from .* has SHA-256 [0-9a-f]{64}, expected ff7bcfd4/,
  );

  const missing = await copy("missing");
  await Deno.remove(join(missing, "train-labels-idx1-ubyte"));
  await assertRejects(
    () => prepareMnist({ source: "dir", path: missing }, { cacheDir: cache }),
    /MNIST file train-labels-idx1-ubyte \(or train-labels-idx1-ubyte\.gz\) is missing from/,
  );

  const truncated = await copy("truncated");
  await Deno.writeFile(join(truncated, "t10k-labels-idx1-ubyte"), bytes.subarray(0, 5000));
  await assertRejects(
    () => prepareMnist({ source: "dir", path: truncated }, { cacheDir: cache }),
    /IDX file is truncated: dimensions \[10000\] need 10008 bytes, the file has 5000/,
  );

  const badGz = await copy("badgz");
  await Deno.remove(join(badGz, "t10k-labels-idx1-ubyte"));
  const gz = await gzip(await Deno.readFile(join(npmMnistDir(), "t10k-labels-idx1-ubyte")));
  await Deno.writeFile(join(badGz, "t10k-labels-idx1-ubyte.gz"), gz.subarray(0, gz.length - 40));
  await assertRejects(
    () => prepareMnist({ source: "dir", path: badGz }, { cacheDir: cache }),
    /gzip data that does not decompress|has SHA-256/,
  );

  const swapped = await copy("swapped");
  await Deno.copyFile(join(npmMnistDir(), "t10k-images-idx3-ubyte"), join(swapped, "t10k-labels-idx1-ubyte"));
  const e = await assertRejects(
    () => prepareMnist({ source: "dir", path: swapped }, { cacheDir: cache }),
    /t10k-labels-idx1-ubyte/,
  );
  assert(e.message.includes("3 dimensions, expected 1"), e.message);
  // Nothing was cached from the failed attempts.
  assertEquals([...Deno.readDirSync(cache)].length, 0);
});

Deno.test("prepareMnist() downloads from a URL, checks each download's SHA-256, and refuses a wrong one", async () => {
  const files: Record<string, Uint8Array> = {};
  const sha256: Record<string, string> = {};
  for (const name of NAMES) {
    files[`${name}.gz`] = await gzip(await Deno.readFile(join(npmMnistDir(), name)));
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", files[`${name}.gz`] as Uint8Array<ArrayBuffer>),
    );
    sha256[`${name}.gz`] = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  // A server on the loopback interface only, stopped at the end of the test.
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    const name = path.startsWith("/mnist/") ? path.slice("/mnist/".length) : "";
    return files[name]
      ? new Response(files[name] as Uint8Array<ArrayBuffer>)
      : new Response("missing", { status: 404 });
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/mnist/`;
    const cache = await Deno.makeTempDir();
    const { dir, digest } = await prepareMnist({ source: "url", url, sha256 }, { cacheDir: cache });
    assertEquals(digest, await mnistDigest());
    assertEquals((await loadMnist(dir)).test.count, 10000);
    const wrong = { ...sha256, "t10k-labels-idx1-ubyte.gz": "0".repeat(64) };
    await assertRejects(
      async () => prepareMnist({ source: "url", url, sha256: wrong }, { cacheDir: await Deno.makeTempDir() }),
      /Download of http:\/\/127\.0\.0\.1:\d+\/mnist\/t10k-labels-idx1-ubyte\.gz has SHA-256 [0-9a-f]{64}, expected 0{64}/,
    );
    await assertRejects(
      async () =>
        prepareMnist({ source: "url", url: url + "nowhere/", sha256 }, { cacheDir: await Deno.makeTempDir() }),
      /failed: HTTP 404/,
    );
  } finally {
    await server.shutdown();
  }
});
