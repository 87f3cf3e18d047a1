/**
 * How far V8 lets the gateway's old generation grow past what survived a full GC before it
 * starts the next one: to 3× (a growing factor of 1 + 200 %), whatever V8 would have chosen.
 *
 * Why: V8 counts the buffers of frames in flight (memory outside its heap) against that limit,
 * but sizes the limit by how fast JavaScript allocates, which a relay barely does. After an idle
 * spell, or once a full GC has run under load, V8 can settle on a limit about 1.5× the heap (9 MB
 * over a 17 MB heap): less than the frame buffers that pile up between two young-generation
 * collections, so every few hundred milliseconds a full GC starts, frees those buffers and
 * little else, and sets the same limit again. In the relay benchmark that state cost the gateway
 * 35–49 full GCs per 15 s of 100 KB frames and 1.7× the CPU per frame; with the factor fixed it
 * did not occur (BENCHMARKS.md, "Side by side: … the heap's growing factor"). The price:
 * between two full GCs the heap may reach 3× its live size (V8 itself allows up to 4× under
 * load), still bounded by `--max-old-space-size`.
 *
 * The flag is not allowed in NODE_OPTIONS, so the command line sets it as it starts; an operator's
 * own `node --heap-growing-percent=N` wins.
 *
 * @example
 * applyHeapGrowth(); // first thing in a process that relays sessions
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 200;

/** V8 reads its flags with dashes or underscores. */
const OPERATORS_OWN = /^--heap[-_]growing[-_]percent(?:=|$)/;

/** The V8 flag the process should set, or null when `execArgv` already carries one. */
export function heapGrowthFlag(execArgv: readonly string[]): string | null {
  if (execArgv.some((arg) => OPERATORS_OWN.test(arg))) return null;
  return `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/**
 * Sets {@link heapGrowthFlag} for this process; returns the flag set, or null. V8 reads it at
 * every full GC, so setting it once the process runs takes effect from the next one.
 */
export function applyHeapGrowth(execArgv: readonly string[] = process.execArgv): string | null {
  const flag = heapGrowthFlag(execArgv);
  if (flag !== null) setFlagsFromString(flag);
  return flag;
}
