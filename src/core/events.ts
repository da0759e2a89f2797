// Customer events and the features derived from them, kept up to date incrementally: every event updates a small
// per-customer state (day buckets for windows, latest value and time), and feature values are read off that state
// at decision time. Pure: the engine loads and saves the states.
import { z } from 'zod';
import { type AttributeType, matchesType } from './rules.ts';
import type { Attributes, AttributeValue } from './types.ts';

export const DAY = 86_400_000;

const fieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a valid field name');
const payloadType = z.enum(['number', 'string', 'boolean', 'list<string>', 'list<number>', 'map']);

export const eventTypeSchema = z.strictObject({
  description: z.string().optional(),
  /** Payload fields and their types; events may carry only these. */
  payload: z.record(fieldName, payloadType).default({}),
  /** Payload fields every event of this type must carry. */
  required: z.array(fieldName).default([]),
});

export const FEATURE_AGGREGATES = ['count', 'sum', 'last', 'daysSince', 'trend'] as const;

export const featureSchema = z.strictObject({
  description: z.string().optional(),
  /** The event type it is derived from. */
  event: z.string().min(1),
  /**
   * count: events in the window (or ever); sum: of a numeric payload field; last: the latest value of a field;
   * daysSince: days since the latest event; trend: sum (or count) in the recent half of the window minus the
   * older half.
   */
  aggregate: z.enum(FEATURE_AGGREGATES),
  /** The payload field (sum, last; trend sums it when given, else counts). */
  field: fieldName.optional(),
  /** Sliding window in whole UTC days, today included (count, sum, trend); omitted for count/sum: all time. */
  windowDays: z.number().int().positive().max(3660).optional(),
  /** Only events whose payload field has this value count, e.g. `{ field: severity, equals: critical }`. */
  where: z
    .strictObject({ field: fieldName, equals: z.union([z.string(), z.number(), z.boolean()]) })
    .optional(),
});

/** Which events are survey answers, for the NPS and CSAT reports. */
export const surveySchema = z.strictObject({
  event: z.string().min(1),
  /** The numeric score field: 0–10 for NPS, 1–5 for CSAT. */
  field: fieldName,
  /** Only events whose payload field has this value, e.g. `{ field: kind, equals: nps }`. */
  where: z
    .strictObject({ field: fieldName, equals: z.union([z.string(), z.number(), z.boolean()]) })
    .optional(),
  /** A string payload field naming the touchpoint surveyed; default: the event's channel. */
  touchpoint: fieldName.optional(),
  /** The action taken before the survey is the customer's latest one within this many days. */
  attributionDays: z.number().positive().max(365).default(7),
});

export type SurveySpec = z.infer<typeof surveySchema>;

export const eventsConfigSchema = z
  .strictObject({
    types: z.record(fieldName, eventTypeSchema).default({}),
    features: z.record(fieldName, featureSchema).default({}),
    surveys: z.strictObject({ nps: surveySchema.optional(), csat: surveySchema.optional() }).default({}),
    /** Events further in the future than this (clock skew of the sender) are refused. */
    maxFutureMinutes: z.number().min(0).default(5),
  })
  .default({ types: {}, features: {}, surveys: {}, maxFutureMinutes: 5 });

export type EventsConfig = z.infer<typeof eventsConfigSchema>;
export type FeatureSpec = z.infer<typeof featureSchema>;

export interface CustomerEvent {
  customerId: string;
  type: string;
  /** Epoch milliseconds. */
  at: number;
  channel?: string | undefined;
  payload: Attributes;
}

/** Problems of the events section, located like catalog issues. */
export function eventsConfigIssues(config: EventsConfig): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  for (const [name, type] of Object.entries(config.types)) {
    for (const f of type.required)
      if (!(f in type.payload))
        issues.push({ path: `events.types.${name}.required`, message: `'${f}' is not a payload field` });
  }
  for (const [name, f] of Object.entries(config.features)) {
    const path = `events.features.${name}`;
    const type = config.types[f.event];
    if (!type) {
      issues.push({ path: `${path}.event`, message: `unknown event type '${f.event}'` });
      continue;
    }
    const needsField = f.aggregate === 'sum' || f.aggregate === 'last';
    if (needsField && !f.field)
      issues.push({ path: `${path}.field`, message: `${f.aggregate} needs a field` });
    if (f.field) {
      const t = type.payload[f.field];
      if (!t) issues.push({ path: `${path}.field`, message: `'${f.field}' is not a field of '${f.event}'` });
      else if ((f.aggregate === 'sum' || f.aggregate === 'trend') && t !== 'number')
        issues.push({
          path: `${path}.field`,
          message: `${f.aggregate} needs a number field, '${f.field}' is ${t}`,
        });
    }
    if (f.aggregate === 'trend' && (!f.windowDays || f.windowDays < 2))
      issues.push({ path: `${path}.windowDays`, message: 'trend needs a window of at least 2 days' });
    if ((f.aggregate === 'last' || f.aggregate === 'daysSince') && f.windowDays)
      issues.push({ path: `${path}.windowDays`, message: `${f.aggregate} takes no window` });
    if (f.where && !type.payload[f.where.field])
      issues.push({
        path: `${path}.where.field`,
        message: `'${f.where.field}' is not a field of '${f.event}'`,
      });
  }
  for (const [metric, survey] of Object.entries(config.surveys)) {
    if (!survey) continue;
    const path = `events.surveys.${metric}`;
    const type = config.types[survey.event];
    if (!type) {
      issues.push({ path: `${path}.event`, message: `unknown event type '${survey.event}'` });
      continue;
    }
    if (type.payload[survey.field] !== 'number')
      issues.push({
        path: `${path}.field`,
        message: `'${survey.field}' is not a number field of '${survey.event}'`,
      });
    if (survey.where && !type.payload[survey.where.field])
      issues.push({
        path: `${path}.where.field`,
        message: `'${survey.where.field}' is not a field of '${survey.event}'`,
      });
    if (survey.touchpoint && type.payload[survey.touchpoint] !== 'string')
      issues.push({
        path: `${path}.touchpoint`,
        message: `'${survey.touchpoint}' is not a string field of '${survey.event}'`,
      });
  }
  return issues;
}

/** The type each derived feature has for rules (`features.<name>`). */
export function featureTypes(config: EventsConfig): Record<string, AttributeType> {
  const out: Record<string, AttributeType> = {};
  for (const [name, f] of Object.entries(config.features)) {
    out[name] =
      f.aggregate === 'last' ? (config.types[f.event]?.payload[f.field ?? ''] ?? 'string') : 'number';
  }
  return out;
}

/** Checks an event's type and payload against the declared types; returns problems as (field, message). */
export function eventIssues(
  config: EventsConfig,
  event: { type: string; payload: Attributes },
): Array<{ field: string; message: string }> {
  const type = config.types[event.type];
  if (!type) {
    const known = Object.keys(config.types);
    return [
      {
        field: 'type',
        message: `unknown event type '${event.type}' (declared: ${known.length > 0 ? known.join(', ') : 'none'})`,
      },
    ];
  }
  const issues: Array<{ field: string; message: string }> = [];
  for (const [name, value] of Object.entries(event.payload)) {
    const t = type.payload[name];
    if (!t) issues.push({ field: `payload.${name}`, message: `not a field of '${event.type}'` });
    else if (!matchesType(value, t)) issues.push({ field: `payload.${name}`, message: `expected ${t}` });
  }
  for (const name of type.required)
    if (event.payload[name] === undefined || event.payload[name] === null)
      issues.push({ field: `payload.${name}`, message: 'required' });
  return issues;
}

// ---- feature state ------------------------------------------------------------------------------------

/** Per feature: day buckets (windows), or the latest time and value. */
export type FeatureState =
  | { kind: 'buckets'; days: Record<string, number> }
  | { kind: 'total'; total: number }
  | { kind: 'latest'; at: number; value: AttributeValue };

export type CustomerFeatureState = Record<string, FeatureState>;

const dayOf = (ms: number) => Math.floor(ms / DAY);

function contribution(f: FeatureSpec, event: CustomerEvent): number | undefined {
  if (f.where && event.payload[f.where.field] !== f.where.equals) return undefined;
  if (f.aggregate === 'sum' || (f.aggregate === 'trend' && f.field)) {
    const v = event.payload[f.field!];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }
  return 1;
}

/**
 * Applies one event to a customer's feature state (in place). Out-of-order events are exact: windows keep
 * per-day sums, and `last`/`daysSince` keep the value with the latest timestamp, so arrival order never matters.
 * Buckets older than the window (relative to the newest event) are dropped; an event older than that falls
 * outside every window that can still be asked for anyway.
 */
export function applyEvent(config: EventsConfig, state: CustomerFeatureState, event: CustomerEvent): void {
  for (const [name, f] of Object.entries(config.features)) {
    if (f.event !== event.type) continue;
    if (f.aggregate === 'last' || f.aggregate === 'daysSince') {
      if (f.where && event.payload[f.where.field] !== f.where.equals) continue;
      const value = f.aggregate === 'last' ? event.payload[f.field!] : null;
      if (value === undefined) continue;
      const s = state[name];
      if (s?.kind !== 'latest' || event.at >= s.at) state[name] = { kind: 'latest', at: event.at, value };
      continue;
    }
    const add = contribution(f, event);
    if (add === undefined) continue;
    if (f.windowDays === undefined) {
      const s = state[name];
      state[name] = { kind: 'total', total: (s?.kind === 'total' ? s.total : 0) + add };
      continue;
    }
    let s = state[name];
    if (s?.kind !== 'buckets') {
      s = { kind: 'buckets', days: {} };
      state[name] = s;
    }
    const day = dayOf(event.at);
    let newest = day;
    for (const d in s.days) if (Number(d) > newest) newest = Number(d);
    const oldest = newest - f.windowDays;
    if (day <= oldest) continue;
    s.days[day] = (s.days[day] ?? 0) + add;
    for (const d in s.days) if (Number(d) <= oldest) delete s.days[d];
  }
}

/**
 * Feature values at time `now`, as rules and learners see them (`features.<name>`); absent ones are left out.
 * `only` limits the work to the features a caller reads (a trigger condition).
 */
export function featureValues(
  config: EventsConfig,
  state: CustomerFeatureState,
  now: number,
  only?: ReadonlySet<string>,
): Attributes {
  const out: Attributes = {};
  const today = dayOf(now);
  for (const [name, f] of Object.entries(config.features)) {
    if (only && !only.has(name)) continue;
    const s = state[name];
    switch (f.aggregate) {
      case 'last':
        if (s?.kind === 'latest') out[name] = s.value;
        break;
      case 'daysSince':
        if (s?.kind === 'latest') out[name] = Math.max(0, (now - s.at) / DAY);
        break;
      case 'count':
      case 'sum':
        if (f.windowDays === undefined) out[name] = s?.kind === 'total' ? s.total : 0;
        else out[name] = windowSum(s, today - f.windowDays + 1, today);
        break;
      case 'trend': {
        const w = f.windowDays!;
        const half = Math.floor(w / 2);
        out[name] = windowSum(s, today - half + 1, today) - windowSum(s, today - 2 * half + 1, today - half);
        break;
      }
    }
  }
  return out;
}

/** Sum of the day buckets in [from, to] (day numbers). */
function windowSum(s: FeatureState | undefined, from: number, to: number): number {
  if (s?.kind !== 'buckets') return 0;
  let sum = 0;
  for (const [d, v] of Object.entries(s.days)) {
    const day = Number(d);
    if (day >= from && day <= to) sum += v;
  }
  return sum;
}
