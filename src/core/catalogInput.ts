// The raw catalog document before it is compiled: zod's issues as catalog paths, a copy without prototypes, and
// what a stored version of an older release may hold that this one leaves out.
import type { z } from 'zod';
import { type CatalogIssue, treatmentSchema } from './catalogSchema.ts';

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** The value at a path of the parsed input (undefined where there is none). */
function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = input;
  for (const part of path)
    v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[part] : undefined;
  return v;
}

export function zodIssues(error: z.ZodError, prefix = '', input?: unknown): CatalogIssue[] {
  return error.issues.map((issue) => {
    // An unknown key's path names it (as the API's field does): `actions[0].treatments.web.explained`.
    const path = formatPath(
      issue.code === 'unrecognized_keys' && issue.keys.length === 1
        ? [...issue.path, issue.keys[0]!]
        : issue.path,
    );
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
      // `{ title: Your bill, explained }` in YAML is a title cut at the comma and a key `explained` without value.
      const owner = valueAt(input, issue.path) as Record<string, unknown> | undefined;
      if (issue.keys.some((k) => owner?.[k] === null))
        message += " (an unquoted comma in a YAML flow map? quote the value: title: 'a, b')";
    }
    return { path: prefix && path ? `${prefix}.${path}` : prefix || path, message };
  });
}

/**
 * The definition with every plain object rebuilt without a prototype. Requests name catalog entries (an event
 * type, a payload field, a profile attribute), and a lookup such as `types['valueOf']` on an ordinary object
 * finds Object.prototype's function instead of nothing; without prototypes every such lookup is an own key.
 */
export function withoutPrototypes<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutPrototypes) as T;
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype)
    return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) out[k] = withoutPrototypes(v);
  return out as T;
}

const TREATMENT_KEYS = new Set(Object.keys(treatmentSchema.shape));

/**
 * A stored catalog's treatments without the keys treatments no longer accept (they were loose before), and
 * which were dropped: a version stored by an older release keeps loading, and says what it lost.
 */
export function withoutUnknownTreatmentKeys(input: unknown, dropped: CatalogIssue[]): unknown {
  const actions = (input as { actions?: unknown } | null)?.actions;
  if (!Array.isArray(actions)) return input;
  const cleaned = actions.map((action: unknown, i) => {
    const treatments = (action as { treatments?: unknown } | null)?.treatments;
    if (!treatments || typeof treatments !== 'object') return action;
    const kept: Record<string, unknown> = {};
    for (const [channel, t] of Object.entries(treatments)) {
      if (!t || typeof t !== 'object') {
        kept[channel] = t;
        continue;
      }
      kept[channel] = Object.fromEntries(
        Object.entries(t).filter(([key]) => {
          if (TREATMENT_KEYS.has(key)) return true;
          dropped.push({
            path: `actions[${i}].treatments.${channel}.${key}`,
            message: `ignored: treatments accept ${[...TREATMENT_KEYS].join(', ')} (a touchpoint's own fields go under data)`,
          });
          return false;
        }),
      );
    }
    return { ...(action as object), treatments: kept };
  });
  return { ...(input as object), actions: cleaned };
}
