import { describe, expect, it } from 'vitest';
import { decisionIdAt } from '../../src/engine/decisions.ts';

describe('decision ids', () => {
  it('are UUIDv7: ordered by the engine clock as text, unique within one millisecond', () => {
    const t = Date.parse('2026-06-01T10:00:00Z');
    const ids = [t, t + 1, t + 1000, t + 86_400_000].map(decisionIdAt);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The id carries the engine's time (its first 48 bits), not the wall clock's.
    expect(Number.parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16)).toBe(t);
    const same = new Set(Array.from({ length: 10_000 }, () => decisionIdAt(t)));
    expect(same.size).toBe(10_000);
  });
});
