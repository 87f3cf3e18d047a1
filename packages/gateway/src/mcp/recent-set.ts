/**
 * A set that remembers only its most recent entries, for ids a session tracks for as long as
 * an answer may still come: bounded, so a long session's memory does not grow with its age.
 */
export class RecentSet<T> {
  private readonly entries = new Set<T>();

  constructor(private readonly capacity: number) {}

  add(value: T): void {
    this.entries.delete(value);
    this.entries.add(value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.values().next().value as T);
  }

  has(value: T): boolean {
    return this.entries.has(value);
  }

  delete(value: T): boolean {
    return this.entries.delete(value);
  }

  get size(): number {
    return this.entries.size;
  }
}
