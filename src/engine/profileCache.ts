// The profiles this process read or wrote recently, kept only to answer decisions while the store is
// unavailable (degraded mode). Bounded in size and age; an erasure removes its entry at once.
import type { Attributes } from '../core/types.ts';

export class ProfileCache {
  private readonly entries = new Map<string, { attributes: Attributes; at: number }>();

  constructor(
    private readonly clock: () => number,
    private readonly maxEntries = 10_000,
    private readonly maxAgeMs = 10 * 60_000,
  ) {}

  remember(id: string, attributes: Attributes): void {
    // Re-inserted at the end: the Map's order is the order of use, the oldest first.
    this.entries.delete(id);
    this.entries.set(id, { attributes, at: this.clock() });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get(id: string): Attributes | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (this.clock() - entry.at > this.maxAgeMs) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.attributes;
  }

  forget(id: string): void {
    this.entries.delete(id);
  }
}
