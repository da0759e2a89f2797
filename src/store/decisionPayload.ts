// How a logged decision's payload is written: compact, because every decision is logged and most of a record
// is its candidates (with 100 eligible actions the plain JSON was about 20 KB, almost all of it the same keys
// and the same issue and group names repeated per candidate). Version 2 keeps what off-policy evaluation,
// explanations, KPIs and audits read, in columns:
// - candidates: action ids, issue and group as indexes into a table of the record's distinct names, the
//   propensity, value, context weight, lever, logit sd and evidence as number columns (a column whose values
//   are all equal is one number). The priority is not stored: it is propensity × value × weight × lever, the
//   same product arbitration computed, so it is recomputed exactly.
// - dropped candidates: action id, stage and the reason as an index into the record's distinct reasons (a
//   reason shared by many actions, such as a failing rule or policy, is stored once).
// - context, features, the chosen actions (what was shown, with its logged probability), shadow and trigger as
//   they are: small, and read by other queries (the fold reads `features`, the timeline `chosen` and `trigger`).
// Version 1 payloads (plain JSON of the record) are still read.
import { priorityOf } from '../core/arbitration.ts';
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

interface PayloadV2 extends Omit<DecisionPayload, 'candidates' | 'dropped'> {
  v: 2;
  c: CompactCandidates;
  x: CompactDropped;
}

function column(values: readonly number[]): NumberColumn {
  const first = values[0] ?? 0;
  return values.every((v) => v === first) ? first : [...values];
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
  const names = interner();
  return {
    a: candidates.map((c) => c.actionId),
    i: column(candidates.map((c) => names.of(c.issue))),
    g: column(candidates.map((c) => names.of(c.group))),
    n: names.names,
    p: column(candidates.map((c) => c.propensity)),
    v: column(candidates.map((c) => c.value)),
    w: column(candidates.map((c) => c.contextWeight)),
    l: column(candidates.map((c) => c.lever)),
    sd: column(candidates.map((c) => c.logitSd)),
    e: column(candidates.map((c) => c.evidence)),
    ...(candidates.some((c) => c.priority !== priorityOf(c)) ? { r: candidates.map((c) => c.priority) } : {}),
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
    r: column(dropped.map((d) => names.of(d.reason))),
    n: names.names,
  };
}

function decodeDropped(x: CompactDropped): DroppedCandidate[] {
  return x.a.map((actionId, k) => ({
    actionId,
    stage: x.n[at(x.s, k)] as DroppedCandidate['stage'],
    reason: x.n[at(x.r, k)]!,
  }));
}

export function encodePayload(payload: DecisionPayload): string {
  const { candidates, dropped, ...rest } = payload;
  const v2: PayloadV2 = { v: 2, ...rest, c: encodeCandidates(candidates), x: encodeDropped(dropped) };
  return JSON.stringify(v2);
}

export function decodePayload(text: string): DecisionPayload {
  const parsed = JSON.parse(text) as PayloadV2 | (DecisionPayload & { v?: undefined });
  if (parsed.v !== 2) return parsed;
  const { v: _v, c, x, ...rest } = parsed;
  return { ...rest, candidates: decodeCandidates(c), dropped: decodeDropped(x) };
}
