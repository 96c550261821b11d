/**
 * Preloaded into every test module and doc test (`deno task test` passes it to
 * `deno test --preload`): a request for a WebGPU adapter on a test thread fails
 * that module with an uncaught error, even where the caller catches it (as
 * `gpuAdapter()` does), instead of the whole process aborting at exit now and
 * then. Why such a request aborts the process, and how tests use WebGPU
 * instead (a subprocess), is in tests/helpers/webgpu.ts.
 *
 * @example
 * ```ts
 * // deno test --allow-all --parallel --preload tests/helpers/test_thread_guard.ts tests/
 * ```
 * @module
 */
const gpu = (navigator as unknown as { gpu?: { requestAdapter: unknown } }).gpu;
if (gpu) {
  gpu.requestAdapter = () => {
    const error = new Error(
      "A WebGPU adapter was requested on a test thread, which makes Deno abort at exit now and then: " +
        "ask in a subprocess instead (tests/helpers/webgpu.ts)",
    );
    setTimeout(() => {
      throw error;
    }, 0);
    return Promise.reject(error);
  };
}
