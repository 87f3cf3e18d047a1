/**
 * A set that remembers only its most recent entries, for ids a session tracks for as long as
 * an answer may still come: bounded, so a long session's memory does not grow with its age.
 */
export class RecentSet<T> {
  /** Made at the first entry: most sessions never track one. */
  private entries: Set<T> | null = null;

  constructor(private readonly capacity: number) {}

  add(value: T): void {
    if (this.entries === null) this.entries = new Set();
    this.entries.delete(value);
    this.entries.add(value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.values().next().value as T);
  }

  has(value: T): boolean {
    return this.entries?.has(value) ?? false;
  }

  delete(value: T): boolean {
    return this.entries?.delete(value) ?? false;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }
}

/** How many injected event and call ids a session remembers; answers come within a few events. */
export const TRACKED_IDS = 1024;
