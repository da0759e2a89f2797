// How a logged decision's payload is written: compact, because every decision is logged and most of a record
// is its candidates (with 100 eligible actions the plain JSON was about 20 KB, almost all of it the same keys
// and the same issue and group names repeated per candidate). Version 2 keeps what off-policy evaluation,
// explanations, KPIs and audits read, in columns:
// - candidates: action ids, issue and group as indexes into a table of the record's distinct names, the
//   propensity, value, context weight, lever, logit sd and evidence as number columns (a column whose values
//   are all equal is one number). The priority is not stored: it is propensity × value × weight × lever, the
//   same product arbitration computed, so it is recomputed exactly.
// - dropped candidates: action id, stage and the reason (a code with its parameters, as JSON) as an index into
//   the record's distinct reasons (a reason shared by many actions, such as a failing rule, is stored once).
// - context, features, the chosen actions (what was shown, with its logged probability), shadow and trigger as
//   they are: small, and read by other queries (the fold reads `features`, the timeline `chosen` and `trigger`).
// Version 3 differs from 2 only in the reasons (2: English sentences). Versions 1 (plain JSON of the record)
// and 2 are still read; their reasons come back as { code: 'text', text }.
import { priorityOf } from '../core/arbitration.ts';
import type { DropReason } from '../core/reasons.ts';
import type { DroppedCandidate, ScoredCandidate } from '../core/types.ts';
import type { DecisionRecord } from './records.ts';

/** The part of a decision record kept in the payload (the rest has columns of its own). */
export type DecisionPayload = Omit<
  DecisionRecord,
  'id' | 'customerId' | 'channel' | 'at' | 'catalogVersion' | 'modelVersion' | 'arm'
>;

type NumberColumn = number | number[];

interface CompactCandidates {
  a: string[];
  /** Distinct issue and group names. */
  n: string[];
  i: NumberColumn;
  g: NumberColumn;
  p: NumberColumn;
  v: NumberColumn;
  w: NumberColumn;
  l: NumberColumn;
  sd: NumberColumn;
  e: NumberColumn;
  /** Priorities, only when one is not the product (a record not made by arbitration). */
  r?: number[];
}

interface CompactDropped {
  a: string[];
  /** Distinct stages and reasons. */
  n: string[];
  s: NumberColumn;
  r: NumberColumn;
}

interface PayloadV3 extends Omit<DecisionPayload, 'candidates' | 'dropped'> {
  v: 2 | 3;
  c: CompactCandidates;
  x: CompactDropped;
}

/** One number when all are equal, else the array itself (the caller's own, not copied). */
function column(values: number[]): NumberColumn {
  const first = values[0] ?? 0;
  return values.every((v) => v === first) ? first : values;
}

function at(col: NumberColumn, i: number): number {
  return typeof col === 'number' ? col : col[i]!;
}

function interner() {
  const names: string[] = [];
  const index = new Map<string, number>();
  return {
    names,
    of(name: string): number {
      let i = index.get(name);
      if (i === undefined) {
        i = names.length;
        names.push(name);
        index.set(name, i);
      }
      return i;
    },
  };
}

function encodeCandidates(candidates: readonly ScoredCandidate[]): CompactCandidates {
  // One pass for the columns (a decision may have a thousand candidates); the names are interned issues first,
  // then groups, as the format has always listed them.
  const names = interner();
  const a: string[] = [];
  const i: number[] = [];
  const g: number[] = [];
  const p: number[] = [];
  const v: number[] = [];
  const w: number[] = [];
  const l: number[] = [];
  const sd: number[] = [];
  const e: number[] = [];
  let products = true;
  for (const c of candidates) {
    a.push(c.actionId);
    i.push(names.of(c.issue));
    p.push(c.propensity);
    v.push(c.value);
    w.push(c.contextWeight);
    l.push(c.lever);
    sd.push(c.logitSd);
    e.push(c.evidence);
    if (products && c.priority !== priorityOf(c)) products = false;
  }
  for (const c of candidates) g.push(names.of(c.group));
  return {
    a,
    i: column(i),
    g: column(g),
    n: names.names,
    p: column(p),
    v: column(v),
    w: column(w),
    l: column(l),
    sd: column(sd),
    e: column(e),
    ...(products ? {} : { r: candidates.map((c) => c.priority) }),
  };
}

function decodeCandidates(c: CompactCandidates): ScoredCandidate[] {
  return c.a.map((actionId, k) => {
    const candidate: ScoredCandidate = {
      actionId,
      issue: c.n[at(c.i, k)]!,
      group: c.n[at(c.g, k)]!,
      propensity: at(c.p, k),
      value: at(c.v, k),
      contextWeight: at(c.w, k),
      lever: at(c.l, k),
      priority: c.r?.[k] ?? 0,
      logitSd: at(c.sd, k),
      evidence: at(c.e, k),
    };
    if (!c.r) candidate.priority = priorityOf(candidate);
    return candidate;
  });
}

function encodeDropped(dropped: readonly DroppedCandidate[]): CompactDropped {
  const names = interner();
  return {
    a: dropped.map((d) => d.actionId),
    s: column(dropped.map((d) => names.of(d.stage))),
    r: column(dropped.map((d) => names.of(JSON.stringify(d.reason)))),
    n: names.names,
  };
}

/** Version 3 stores each distinct reason as JSON (a code and its parameters), 2 as an English sentence. */
function decodeDropped(x: CompactDropped, version: 2 | 3): DroppedCandidate[] {
  return x.a.map((actionId, k) => {
    const reason = x.n[at(x.r, k)]!;
    return {
      actionId,
      stage: x.n[at(x.s, k)] as DroppedCandidate['stage'],
      reason: version === 3 ? (JSON.parse(reason) as DropReason) : { code: 'text', text: reason },
    };
  });
}

export function encodePayload(payload: DecisionPayload): string {
  const { candidates, dropped, ...rest } = payload;
  const v3: PayloadV3 = { v: 3, ...rest, c: encodeCandidates(candidates), x: encodeDropped(dropped) };
  return JSON.stringify(v3);
}

export function decodePayload(text: string): DecisionPayload {
  const parsed = JSON.parse(text) as
    | PayloadV3
    | (Omit<DecisionPayload, 'dropped'> & { v?: undefined; dropped: Array<{ reason: string | DropReason }> });
  if (parsed.v === undefined) {
    // Version 1: the record as it was, reasons as English sentences.
    const dropped = parsed.dropped.map((d) => ({
      ...d,
      reason: typeof d.reason === 'string' ? { code: 'text' as const, text: d.reason } : d.reason,
    })) as DroppedCandidate[];
    return { ...parsed, dropped };
  }
  const { v, c, x, ...rest } = parsed;
  return { ...rest, candidates: decodeCandidates(c), dropped: decodeDropped(x, v) };
}
