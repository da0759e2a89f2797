// The documented limits on what a request may carry and on what a rule may cost. One place, so that the
// request schemas, the rule cost estimate and the docs all use the same figures.

/** Shape limits for free-form data: request contexts, profile attributes, event payloads. */
export const DATA_LIMITS = {
  /** Levels of objects and lists inside one attribute (`{"a": {"b": [1]}}` is depth 3). */
  depth: 16,
  /** Members of one list. */
  listItems: 1_000,
  /** Keys of one object. */
  objectKeys: 1_000,
  /** Characters of one string. */
  stringLength: 10_000,
  /** Largest magnitude of a number (values, amounts): sums of many stay finite. */
  maxNumber: 1e15,
} as const;

/** Identifiers everywhere (customers, actions, decisions, keys): the same limit in schemas and the router. */
export const ID_MAX_LENGTH = 200;

/** What one rule evaluation and one decision may cost. */
export const RULE_LIMITS = {
  /**
   * Cost units one rule evaluation may spend: one per expression node evaluated, plus the length of every
   * list or string a node builds or scans. About 10 ms of CPU here; a rule over it is stopped.
   */
  costPerEvaluation: 100_000,
  /**
   * A rule whose estimated cost with every input at its limit exceeds this many times the budget above is
   * refused at catalog load: it could not finish on inputs well within the limits.
   */
  staticFactor: 100,
  /** Milliseconds a decision may spend on rules and scoring; candidates left then are dropped. */
  decideMs: 50,
} as const;

/**
 * A decision's time budget: over once `limitMs` have passed on the wall clock *and* the process has spent that much
 * CPU since the start. The wall clock alone would empty answers on a machine that merely deschedules the process
 * (a loaded host: 200 concurrent requests beside other work once dropped every candidate of a 5-action catalog);
 * the CPU clock alone would count other threads' work (the SQLite writer) as the decision's. The CPU clock is read
 * only once the wall clock says the time is up; the starting reading comes from `cpuStartMs`, which may answer a
 * recent reading instead of a fresh one (reading the process's CPU clock costs 20–50 µs under load in a VM).
 */
export function timeBudget(
  limitMs: number,
  wallMs: () => number,
  cpuMs: () => number,
  cpuStartMs: () => number = cpuMs,
): () => boolean {
  const wall0 = wallMs();
  const cpu0 = cpuStartMs();
  return () => wallMs() - wall0 > limitMs && cpuMs() - cpu0 > limitMs;
}

/**
 * A CPU clock whose reading is reused while it is at most `maxAgeMs` old on the wall clock: a decision's starting
 * point for `timeBudget`. A reused reading is earlier than the start, so the CPU counted is at most `maxAgeMs`
 * times the cores too much: the budget ends a little early, never late.
 */
export function recentReading(maxAgeMs: number, wallMs: () => number, read: () => number): () => number {
  let at = Number.NEGATIVE_INFINITY;
  let value = 0;
  return () => {
    const now = wallMs();
    if (now - at > maxAgeMs) {
      value = read();
      at = now;
    }
    return value;
  };
}

type Path = Array<string | number>;

/** Why a value breaks the data limits, with the path at fault (`['a', 'b', 3]`), or undefined when it is fine. */
export function dataLimitIssue(value: unknown): { path: Path; message: string } | undefined {
  // Iterative, so that hostile nesting cannot overflow the stack before the depth limit is seen.
  const stack: Array<{ v: unknown; path: Path; depth: number }> = [{ v: value, path: [], depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.length > DATA_LIMITS.stringLength)
        return { path, message: `at most ${DATA_LIMITS.stringLength.toLocaleString('en')} characters` };
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v) || Math.abs(v) > DATA_LIMITS.maxNumber)
        return { path, message: `numbers must be finite and at most ${DATA_LIMITS.maxNumber} in magnitude` };
    } else if (v !== null && typeof v === 'object') {
      if (depth >= DATA_LIMITS.depth)
        return { path, message: `nested deeper than ${DATA_LIMITS.depth} levels` };
      if (Array.isArray(v)) {
        if (v.length > DATA_LIMITS.listItems)
          return { path, message: `at most ${DATA_LIMITS.listItems.toLocaleString('en')} items in a list` };
        for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i], depth: depth + 1 });
      } else {
        const keys = Object.keys(v);
        if (keys.length > DATA_LIMITS.objectKeys)
          return {
            path,
            message: `at most ${DATA_LIMITS.objectKeys.toLocaleString('en')} keys in an object`,
          };
        for (let i = keys.length - 1; i >= 0; i--) {
          const k = keys[i]!;
          stack.push({
            v: (v as Record<string, unknown>)[k],
            path: [...path, k],
            depth: depth + 1,
          });
        }
      }
    }
  }
  return undefined;
}
