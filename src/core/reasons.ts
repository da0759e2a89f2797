// Why a candidate was dropped or ranked as it was, as a code with its parameters, and its sentence in each
// language. The decision log keeps the code and parameters (not prose), so an explanation reads in the language
// of whoever asks, and a reason's wording can improve without rewriting the log.
import type { DROP_STAGES } from './types.ts';

export const LANGS = ['en', 'de'] as const;
export type Lang = (typeof LANGS)[number];

type Scope = 'action' | 'group' | 'issue' | 'customer';

/** Why an action was left out before scoring. */
export type DropReason =
  | { code: 'timeLimit'; ms: number }
  | { code: 'notInTrigger'; trigger: string }
  | { code: 'degradedOutbound' }
  | { code: 'degradedUnsafe' }
  | { code: 'noTreatment'; channel: string }
  | { code: 'notYetValid'; from: number }
  | { code: 'expired'; until: number }
  | { code: 'noConsent'; consent: string; rule?: string }
  | { code: 'ruleFalse'; rule: string }
  | { code: 'ruleCost'; rule: string; limit: number }
  | { code: 'ruleError'; rule: string; error: string }
  | { code: 'maxContacts'; policy: string; scope: Scope; count: number; max: number; days: number }
  | { code: 'pausedAfterReject'; policy: string; scope: Scope; rejectedAt: number; until: number }
  | { code: 'stoppedAfterAccept'; policy: string; scope: Scope; acceptedAt: number; days?: number }
  | { code: 'dailyBudget'; max: number }
  | { code: 'totalBudget'; max: number }
  | { code: 'valueCost'; limit: number }
  | { code: 'valueError'; error: string }
  | { code: 'contended' }
  | { code: 'budgetTakenConcurrently' }
  | { code: 'capTakenConcurrently' }
  /** A reason logged as text by an older release. */
  | { code: 'text'; text: string };

export type DropCode = DropReason['code'];

// Every code once, checked by the compiler against the unions (for the API schema's enums).
const DROP_CODE_SET: Record<DropCode, true> = {
  timeLimit: true,
  notInTrigger: true,
  degradedOutbound: true,
  degradedUnsafe: true,
  noTreatment: true,
  notYetValid: true,
  expired: true,
  noConsent: true,
  ruleFalse: true,
  ruleCost: true,
  ruleError: true,
  maxContacts: true,
  pausedAfterReject: true,
  stoppedAfterAccept: true,
  dailyBudget: true,
  totalBudget: true,
  valueCost: true,
  valueError: true,
  contended: true,
  budgetTakenConcurrently: true,
  capTakenConcurrently: true,
  text: true,
};
export const DROP_CODES = Object.keys(DROP_CODE_SET) as [DropCode, ...DropCode[]];

/** Why a scored candidate was chosen or ranked out. */
export type RankReason =
  | { code: 'controlDraw'; eligible: number }
  | { code: 'businessRule'; leverTimesValue: number }
  | { code: 'highest'; rank: number }
  | { code: 'explored'; rank: number; eligible: number; slot: number; probability: number }
  | { code: 'rankedOut'; rank: number; eligible: number };

const RANK_CODE_SET: Record<RankReason['code'], true> = {
  controlDraw: true,
  businessRule: true,
  highest: true,
  explored: true,
  rankedOut: true,
};
export const RANK_CODES = Object.keys(RANK_CODE_SET) as [RankReason['code'], ...RankReason['code'][]];

/** The scores behind a scored candidate's priority. */
export interface Scores {
  priority: number;
  propensity: number;
  value: number;
  contextWeight: number;
  lever: number;
}

type Stage = (typeof DROP_STAGES)[number];

const STAGES: Record<Lang, Record<Stage, string>> = {
  en: {
    limit: 'time limit',
    trigger: 'trigger',
    channel: 'channel',
    validity: 'validity',
    consent: 'consent',
    eligibility: 'eligibility',
    applicability: 'applicability',
    suitability: 'suitability',
    contactPolicy: 'contact policy',
    budget: 'budget',
    value: 'value',
  },
  de: {
    limit: 'Zeitlimit',
    trigger: 'Auslöser',
    channel: 'Kanal',
    validity: 'Gültigkeit',
    consent: 'Einwilligung',
    eligibility: 'Berechtigung',
    applicability: 'Anwendbarkeit',
    suitability: 'Eignung',
    contactPolicy: 'Kontaktregel',
    budget: 'Budget',
    value: 'Wert',
  },
};

const SCOPES: Record<Lang, Record<Scope, string>> = {
  en: { action: 'this action', group: 'this group', issue: 'this issue', customer: 'any action' },
  de: { action: 'diese Aktion', group: 'diese Gruppe', issue: 'dieses Thema', customer: 'jede Aktion' },
};

/** A figure as the explanations print it: three significant digits, whole numbers from 100. */
function fmt(lang: Lang, x: number): string {
  const rounded = Math.abs(x) >= 100 ? Math.round(x) : Number(x.toPrecision(3));
  if (lang === 'en') return Math.abs(x) >= 100 ? x.toFixed(0) : rounded.toString();
  return new Intl.NumberFormat(lang, { maximumSignificantDigits: 3, useGrouping: false }).format(rounded);
}
const day = (lang: Lang, ms: number) =>
  new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(ms));
const time = (lang: Lang, ms: number) =>
  new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(
    new Date(ms),
  );
const ordinal = (lang: Lang, n: number) => {
  if (lang === 'de') return `${n}.`;
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
};

type Texts<R extends { code: string }> = { [C in R['code']]: (r: Extract<R, { code: C }>) => string };

function dropTexts(lang: Lang): Texts<DropReason> {
  const n = (x: number) => fmt(lang, x);
  const scope = (s: Scope) => SCOPES[lang][s];
  if (lang === 'de')
    return {
      timeLimit: (r) => `Zeitlimit der Entscheidung von ${n(r.ms)} ms erreicht`,
      notInTrigger: (r) => `nicht unter den Aktionen des Auslösers '${r.trigger}'`,
      degradedOutbound: () =>
        'Speicher nicht verfügbar: Kontaktregeln eines ausgehenden Kanals nicht prüfbar',
      degradedUnsafe: () =>
        'Speicher nicht verfügbar: nicht als sicher ohne Speicher markiert (oder mit Budget)',
      noTreatment: (r) => `keine Darstellung für den Kanal '${r.channel}'`,
      notYetValid: (r) => `gültig ab ${time(lang, r.from)}`,
      expired: (r) => `abgelaufen am ${time(lang, r.until)}`,
      noConsent: (r) => `${r.consent}: nicht erteilt (${r.rule ?? 'keine Regel'})`,
      ruleFalse: (r) => `Regel ist falsch: ${r.rule}`,
      ruleCost: (r) => `Kostenlimit der Regel (${n(r.limit)} Einheiten): ${r.rule}`,
      ruleError: (r) => `Regel nicht auswertbar (${r.error}): ${r.rule}`,
      maxContacts: (r) =>
        `${r.policy}: ${n(r.count)} Kontakte für ${scope(r.scope)} in den letzten ${n(r.days)} Tagen (höchstens ${n(r.max)})`,
      pausedAfterReject: (r) =>
        `${r.policy}: ${scope(r.scope)} wurde am ${day(lang, r.rejectedAt)} abgelehnt, Pause bis ${day(lang, r.until)}`,
      stoppedAfterAccept: (r) =>
        `${r.policy}: ${scope(r.scope)} wurde am ${day(lang, r.acceptedAt)} angenommen${r.days === undefined ? '' : ` (innerhalb von ${n(r.days)} Tagen)`}`,
      dailyBudget: (r) => `Tagesbudget von ${n(r.max)} aufgebraucht`,
      totalBudget: (r) => `Gesamtbudget von ${n(r.max)} aufgebraucht`,
      valueCost: (r) => `Kostenlimit der Regel (${n(r.limit)} Einheiten): Wert`,
      valueError: (r) => `Wert nicht auswertbar (${r.error})`,
      contended: () => 'Limits umkämpft: ausgelassen, um festschreiben zu können',
      budgetTakenConcurrently: () => 'Budget von gleichzeitigen Entscheidungen verbraucht',
      capTakenConcurrently: () => 'Kontaktgrenze von gleichzeitigen Entscheidungen erreicht',
      text: (r) => r.text,
    };
  return {
    timeLimit: (r) => `decide time limit of ${n(r.ms)} ms reached`,
    notInTrigger: (r) => `not among the actions of trigger '${r.trigger}'`,
    degradedOutbound: () => 'store unavailable: contact policies of an outbound channel cannot be checked',
    degradedUnsafe: () => 'store unavailable: not marked safe for degraded mode (or has a budget)',
    noTreatment: (r) => `no treatment for channel '${r.channel}'`,
    notYetValid: (r) => `valid from ${new Date(r.from).toISOString()}`,
    expired: (r) => `expired on ${new Date(r.until).toISOString()}`,
    noConsent: (r) => `${r.consent}: not given (${r.rule ?? 'no rule'})`,
    ruleFalse: (r) => `rule is false: ${r.rule}`,
    ruleCost: (r) => `rule cost limit (${n(r.limit)} units): ${r.rule}`,
    ruleError: (r) => `rule could not be evaluated (${r.error}): ${r.rule}`,
    maxContacts: (r) =>
      `${r.policy}: ${n(r.count)} contacts for ${scope(r.scope)} in the last ${n(r.days)} days (at most ${n(r.max)})`,
    pausedAfterReject: (r) =>
      `${r.policy}: ${scope(r.scope)} was rejected on ${isoDay(r.rejectedAt)}: paused until ${isoDay(r.until)}`,
    stoppedAfterAccept: (r) =>
      `${r.policy}: ${scope(r.scope)} was accepted on ${isoDay(r.acceptedAt)}${r.days === undefined ? '' : ` (within ${n(r.days)} days)`}`,
    dailyBudget: (r) => `daily budget of ${n(r.max)} used up`,
    totalBudget: (r) => `total budget of ${n(r.max)} used up`,
    valueCost: (r) => `rule cost limit (${n(r.limit)} units): value`,
    valueError: (r) => `value could not be evaluated (${r.error})`,
    contended: () => 'limits contended: left out to commit',
    budgetTakenConcurrently: () => 'budget taken by decisions made at the same time',
    capTakenConcurrently: () => 'contact cap reached by decisions made at the same time',
    text: (r) => r.text,
  };
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function rankTexts(lang: Lang, s: Scores): Texts<RankReason> {
  const n = (x: number) => fmt(lang, x);
  const o = (k: number) => ordinal(lang, k);
  if (lang === 'de') {
    const score = `Priorität ${n(s.priority)} = Wahrscheinlichkeit ${n(s.propensity)} × Wert ${n(s.value)} × Kontextgewicht ${n(s.contextWeight)} × Hebel ${n(s.lever)}`;
    return {
      controlDraw: (r) =>
        `Kontrollgruppe: zufällig gleichverteilt gezogen unter ${n(r.eligible)} zulässigen Aktionen (${score})`,
      businessRule: (r) =>
        `Geschäftsregel-Gruppe: höchster Hebel × Wert (${n(r.leverTimesValue)}), kein Modell`,
      highest: (r) => `${o(r.rank)}-höchste ${score}`,
      explored: (r) =>
        `Exploration: ${o(r.rank)} von ${n(r.eligible)} nach Priorität, auf Platz ${r.slot} mit Wahrscheinlichkeit ${n(r.probability)} (${score})`,
      rankedOut: (r) => `${o(r.rank)} von ${n(r.eligible)} nach ${score}; nicht unter den gewählten`,
    };
  }
  const score = `priority ${n(s.priority)} = propensity ${n(s.propensity)} × value ${n(s.value)} × context weight ${n(s.contextWeight)} × lever ${n(s.lever)}`;
  return {
    controlDraw: (r) =>
      `control arm: drawn uniformly at random among ${n(r.eligible)} eligible actions (${score})`,
    businessRule: (r) => `business-rule arm: highest lever × value (${n(r.leverTimesValue)}), no model`,
    highest: (r) => `${o(r.rank)} highest ${score}`,
    explored: (r) =>
      `exploration: ranked ${o(r.rank)} of ${n(r.eligible)} by priority, put in slot ${r.slot} with probability ${n(r.probability)} (${score})`,
    rankedOut: (r) => `ranked ${o(r.rank)} of ${n(r.eligible)} by ${score}; not among the chosen`,
  };
}

function render<R extends { code: string }>(texts: Texts<R>, reason: R): string {
  return (texts[reason.code as R['code']] as (r: R) => string)(reason);
}

/** A dropped candidate's reason as one sentence. */
export function dropText(reason: DropReason, lang: Lang = 'en'): string {
  return render(dropTexts(lang), reason);
}

/** An explanation's sentence for a dropped candidate: the stage and its reason. */
export function droppedAtText(stage: Stage, reason: DropReason, lang: Lang = 'en'): string {
  return lang === 'de'
    ? `entfernt bei ${STAGES.de[stage]}: ${dropText(reason, lang)}`
    : `dropped at ${stage}: ${dropText(reason, lang)}`;
}

/** A scored candidate's reason as one sentence. */
export function rankText(reason: RankReason, scores: Scores, lang: Lang = 'en'): string {
  return render(rankTexts(lang, scores), reason);
}

/** The stage's name in a language. */
export function stageText(stage: Stage, lang: Lang = 'en'): string {
  return STAGES[lang][stage];
}

/** The first of the languages asked for (primary subtags, in order of preference) that LANGS has; else English. */
export function langOf(languages: readonly string[] | undefined): Lang {
  for (const l of languages ?? []) if ((LANGS as readonly string[]).includes(l)) return l as Lang;
  return 'en';
}

/** A dropped candidate as the API shows it: its reason as a sentence in `lang` beside the reason's code. */
export function describeDropped(
  d: { actionId: string; stage: Stage; reason: DropReason },
  lang: Lang = 'en',
): { actionId: string; stage: Stage; code: DropCode; reason: string } {
  return { actionId: d.actionId, stage: d.stage, code: d.reason.code, reason: dropText(d.reason, lang) };
}
