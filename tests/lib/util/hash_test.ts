import { assertEquals } from "../../helpers/assert.ts";
import { sha256File, sha256Hex, toHex } from "../../../lib/util/hash.ts";

Deno.test("sha256Hex() matches the FIPS 180-2 test vectors", async () => {
  assertEquals(await sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assertEquals(await sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assertEquals(await sha256Hex(new TextEncoder().encode("abc")), await sha256Hex("abc"));
});

Deno.test("sha256File() hashes the file's bytes", async () => {
  const f = await Deno.makeTempFile();
  await Deno.writeTextFile(f, "abc");
  assertEquals(await sha256File(f), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assertEquals(toHex(Uint8Array.of(0, 15, 255)), "000fff");
});
