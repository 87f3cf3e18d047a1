/**
 * The glibc `malloc` settings the gateway's process runs with: the image, the systemd unit and
 * `npm start` set them, and the primary of `--workers N` gives them to each worker it forks
 * (unless the operator set them already). They must be in the environment when the process
 * starts: glibc reads them once, and nothing in Node changes them later.
 *
 * Why: large frames (appends of tens of KB and more) pass through `ws` as buffers of their own,
 * allocated with `malloc` and freed by V8's garbage collector, many at a time. With glibc's
 * defaults, freeing a batch leaves more than 128 KB free at the top of the heap, glibc gives it
 * back to the kernel, and the next frames fault those pages in again, zeroed: about 25 page
 * faults per 100 KB frame, which made the gateway's CPU per relayed 100 KB frame 1.6–2.0× a bare
 * relay's in that state and 0.8–0.9× with these settings (BENCHMARKS.md, "The allocator").
 * The price: up to 64 MB that a burst freed stays with the process instead of going back to the
 * system. The settings mean nothing to other C libraries (musl, macOS) and are ignored there.
 *
 * @example
 * cluster.fork({ ...allocatorEnv(process.env), OTHER: 'value' });
 */
export const ALLOCATOR_ENV: Readonly<Record<string, string>> = Object.freeze({
  // Free memory at the top of the heap is kept up to 64 MB instead of 128 KB.
  MALLOC_TRIM_THRESHOLD_: String(64 * 1024 * 1024),
  // The heap grows 16 MB at a time, so a burst does not extend it page by page.
  MALLOC_TOP_PAD_: String(16 * 1024 * 1024),
});

/** The {@link ALLOCATOR_ENV} settings that `env` does not set itself. */
export function allocatorEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(ALLOCATOR_ENV).filter(([name]) => env[name] === undefined));
}
