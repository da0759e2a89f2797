// The action catalog: validation with located errors and compilation of every rule once per catalog version.
// The file format is in catalogSchema.ts, reading the text in catalogSource.ts.

import type { ExplorerName, LearnerName } from '../learn/registry.ts';
import type { ArmSettings } from './arms.ts';
import { withoutPrototypes, withoutUnknownTreatmentKeys, zodIssues } from './catalogInput.ts';
import {
  type ActionDefinition,
  CatalogError,
  type CatalogFile,
  type CatalogIssue,
  type ContactPolicyDefinition,
  catalogFileSchema,
  type Selector,
} from './catalogSchema.ts';
import { eventsConfigIssues, featureTypes } from './events.ts';
import {
  type CompiledRule,
  matchesType,
  RuleCompileError,
  RuleEnvironment,
  type RuleSchema,
} from './rules.ts';
import type { Attributes, Treatment } from './types.ts';

/** An action's texts in one other language (catalog `translations`). */
export interface ActionTranslation {
  name?: string | undefined;
  description?: string | undefined;
  treatments?: Record<string, Partial<Pick<Treatment, 'title' | 'text' | 'link' | 'image'>>> | undefined;
}

export interface CompiledAction {
  index: number;
  id: string;
  name: string;
  description: string;
  issue: string;
  group: string;
  tags: ReadonlySet<string>;
  treatments: ReadonlyMap<string, Treatment>;
  /** Texts in other languages, by language (see localize.ts). */
  translations: ReadonlyMap<string, ActionTranslation>;
  value: number | CompiledRule<number>;
  lever: number;
  validFrom: number | undefined;
  validUntil: number | undefined;
  budget: { maxPerDay?: number | undefined; total?: number | undefined } | undefined;
  eligibility: CompiledRule<boolean> | undefined;
  applicability: CompiledRule<boolean> | undefined;
  suitability: CompiledRule<boolean> | undefined;
  /** The consent rules that apply to it (catalog `consent`), checked before its eligibility. */
  consents: CompiledConsent[];
  /** Indices into `Catalog.contactPolicies` that apply to this action. */
  contactPolicies: number[];
  /** Context weights that apply to this action. */
  contextWeights: CompiledContextWeight[];
  /** The learner that models this action's propensity. */
  learner: LearnerName;
  /**
   * The model this action learns into: its own (key = action id) or one shared with other actions (key
   * `shared:…`), which then also sees the action's features (`actionFeatures`).
   */
  model: { key: string; shared: boolean };
  /** Response window in ms, or undefined when silence never counts as a negative. */
  responseWindowMs: number | undefined;
  /** May be offered in degraded mode (inbound channels only, never with a budget or a cap). */
  safeWhenDegraded: boolean;
}

export interface CompiledContextWeight {
  channels: ReadonlySet<string> | undefined;
  when: CompiledRule<boolean> | undefined;
  weight: number;
}

export interface Catalog {
  /** Content hash of the definition: the catalog version recorded with every decision. */
  version: string;
  definition: CatalogFile;
  channels: ReadonlyMap<string, { id: string; direction: 'inbound' | 'outbound' }>;
  actions: CompiledAction[];
  actionsById: ReadonlyMap<string, CompiledAction>;
  contactPolicies: ContactPolicyDefinition[];
  ruleEnvironment: RuleEnvironment;
  ruleSchema: RuleSchema;
  explorer: ExplorerName;
  /** Control-group settings: arm shares (overall and per channel), stickiness and salt. */
  arms: ArmSettings;
  /** Triggers by event type, in catalog order. */
  triggersByEvent: ReadonlyMap<string, CompiledTrigger[]>;
  /** What a stored version held that this release leaves out (see CompileOptions.stored). */
  ignored: readonly CatalogIssue[];
}

export interface CompiledConsent {
  id: string;
  /** The channels it applies on; undefined: all. */
  channels: ReadonlySet<string> | undefined;
  /** Undefined only when it did not compile (the catalog is then refused). */
  requires: CompiledRule<boolean> | undefined;
}

export interface CompiledTrigger {
  id: string;
  event: string;
  when: CompiledRule<boolean> | undefined;
  channel: string;
  /** Whether an action may be chosen by this trigger's decisions. */
  allows: (action: CompiledAction) => boolean;
  /** The derived features its condition reads (only those are computed when it fires). */
  features: ReadonlySet<string>;
  limit: number;
  context: Attributes;
}

export function selectorMatches(
  selector: Selector | undefined,
  action: Pick<ActionDefinition, 'id' | 'issue' | 'group'> & { tags: Iterable<string> },
): boolean {
  if (!selector) return true;
  if (selector.issue !== undefined && selector.issue !== action.issue) return false;
  if (selector.group !== undefined && selector.group !== action.group) return false;
  if (selector.action !== undefined && selector.action !== action.id) return false;
  if (selector.tags !== undefined) {
    const tags = new Set(action.tags);
    if (!selector.tags.some((t) => tags.has(t))) return false;
  }
  return true;
}

/** Stable JSON (sorted keys) so the version hash does not depend on key order. */
function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** FNV-1a 64-bit as hex: a short content hash that needs no I/O or crypto module in the core. */
export function contentHash(text: string): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * prime) & mask;
  }
  return h.toString(16).padStart(16, '0');
}

export interface CompileOptions {
  /**
   * A version the store already holds (written by an older release, perhaps): what newer rules no longer accept
   * but can be left out is left out and listed in `catalog.ignored`, instead of refusing to load it.
   */
  stored?: boolean;
}

/**
 * Validates a parsed catalog document (from YAML or JSON) and compiles its rules.
 * Throws CatalogError listing every problem with its path, e.g. `actions[3].eligibility: unknown field 'tenur'`.
 */
export function compileCatalog(input: unknown, options: CompileOptions = {}): Catalog {
  const ignored: CatalogIssue[] = [];
  if (options.stored) input = withoutUnknownTreatmentKeys(input, ignored);
  const parsed = catalogFileSchema.safeParse(input);
  if (!parsed.success) throw new CatalogError(zodIssues(parsed.error, '', input));
  const def = withoutPrototypes(parsed.data);
  const issues: CatalogIssue[] = [];

  const channels = new Map<string, { id: string; direction: 'inbound' | 'outbound' }>();
  def.channels.forEach((ch, i) => {
    if (channels.has(ch.id))
      issues.push({ path: `channels[${i}].id`, message: `duplicate channel '${ch.id}'` });
    channels.set(ch.id, { id: ch.id, direction: ch.direction });
  });

  issues.push(...eventsConfigIssues(def.events));
  // Derived features are visible to rules like declared ones.
  const derived = featureTypes(def.events);
  for (const [name, type] of Object.entries(derived)) {
    const declared = def.schema.features[name];
    if (declared !== undefined && declared !== type)
      issues.push({
        path: `events.features.${name}`,
        message: `schema.features.${name} is declared as ${declared}, the derived feature is ${type}`,
      });
  }
  const ruleSchema: RuleSchema = { ...def.schema, features: { ...def.schema.features, ...derived } };
  const env = new RuleEnvironment(ruleSchema);

  const compileRule = <T>(path: string, compile: () => CompiledRule<T>): CompiledRule<T> | undefined => {
    try {
      return compile();
    } catch (error) {
      const message = error instanceof RuleCompileError ? error.message : String(error);
      issues.push({ path, message });
      return undefined;
    }
  };

  const checkChannels = (list: string[] | undefined, path: string) => {
    list?.forEach((ch, j) => {
      if (!channels.has(ch)) issues.push({ path: `${path}[${j}]`, message: `unknown channel '${ch}'` });
    });
  };

  const weights = def.contextWeights.map((w, i) => {
    const list = w.channel === undefined ? undefined : Array.isArray(w.channel) ? w.channel : [w.channel];
    if (typeof w.channel === 'string') {
      if (!channels.has(w.channel))
        issues.push({ path: `contextWeights[${i}].channel`, message: `unknown channel '${w.channel}'` });
    } else checkChannels(list, `contextWeights[${i}].channel`);
    return {
      selector: w.appliesTo,
      compiled: {
        channels: list ? new Set(list) : undefined,
        when:
          w.when === undefined
            ? undefined
            : compileRule(`contextWeights[${i}].when`, () => env.compileCondition(w.when!)),
        weight: w.weight,
      } satisfies CompiledContextWeight,
    };
  });

  const consentIds = new Set<string>();
  const consents = def.consent.map((c, i) => {
    checkChannels(c.channels, `consent[${i}].channels`);
    if (consentIds.has(c.id))
      issues.push({ path: `consent[${i}].id`, message: `duplicate consent '${c.id}'` });
    consentIds.add(c.id);
    return {
      selector: c.appliesTo,
      compiled: {
        id: c.id,
        channels: c.channels ? new Set(c.channels) : undefined,
        requires: compileRule(`consent[${i}].requires`, () => env.compileCondition(c.requires)),
      } satisfies CompiledConsent,
    };
  });

  const policyIds = new Set<string>();
  def.contactPolicies.forEach((p, i) => {
    checkChannels(p.channels, `contactPolicies[${i}].channels`);
    if (policyIds.has(p.id))
      issues.push({ path: `contactPolicies[${i}].id`, message: `duplicate policy '${p.id}'` });
    policyIds.add(p.id);
  });

  const actionsById = new Map<string, CompiledAction>();
  const actions: CompiledAction[] = def.actions.map((a, i) => {
    const path = `actions[${i}]`;
    if (actionsById.has(a.id)) issues.push({ path: `${path}.id`, message: `duplicate action id '${a.id}'` });
    const treatments = new Map<string, Treatment>();
    for (const [channel, treatment] of Object.entries(a.treatments)) {
      if (!channels.has(channel))
        issues.push({ path: `${path}.treatments.${channel}`, message: `unknown channel '${channel}'` });
      treatments.set(channel, treatment);
    }
    const translations = new Map<string, ActionTranslation>();
    for (const [lang, tr] of Object.entries(a.translations ?? {})) {
      if (lang === def.language)
        issues.push({
          path: `${path}.translations.${lang}`,
          message: `'${lang}' is the catalog's own language: change the action's texts instead`,
        });
      for (const channel of Object.keys(tr.treatments ?? {}))
        if (!treatments.has(channel))
          issues.push({
            path: `${path}.translations.${lang}.treatments.${channel}`,
            message: `the action has no treatment for channel '${channel}' to translate`,
          });
      translations.set(lang, tr);
    }
    if (treatments.size === 0)
      issues.push({ path: `${path}.treatments`, message: 'needs a treatment for at least one channel' });
    if (def.issues) {
      const issue = def.issues[a.issue];
      if (!issue)
        issues.push({ path: `${path}.issue`, message: `issue '${a.issue}' is not declared under issues` });
      else if (issue.groups && !issue.groups[a.group])
        issues.push({
          path: `${path}.group`,
          message: `group '${a.group}' is not declared under issues.${a.issue}.groups`,
        });
    }
    const validFrom = a.validity?.start ? Date.parse(a.validity.start) : undefined;
    const validUntil = a.validity?.end ? Date.parse(a.validity.end) : undefined;
    if (validFrom !== undefined && validUntil !== undefined && validUntil < validFrom)
      issues.push({ path: `${path}.validity.end`, message: 'ends before it starts' });
    const value =
      typeof a.value === 'number'
        ? a.value
        : (compileRule(`${path}.value`, () => env.compileNumber(a.value as string)) ?? 0);
    const compiled: CompiledAction = {
      index: i,
      id: a.id,
      name: a.name,
      description: a.description,
      issue: a.issue,
      group: a.group,
      tags: new Set(a.tags),
      treatments,
      translations,
      value,
      lever: a.lever,
      validFrom,
      validUntil,
      budget: a.budget,
      eligibility:
        a.eligibility === undefined
          ? undefined
          : compileRule(`${path}.eligibility`, () => env.compileCondition(a.eligibility!)),
      applicability:
        a.applicability === undefined
          ? undefined
          : compileRule(`${path}.applicability`, () => env.compileCondition(a.applicability!)),
      suitability:
        a.suitability === undefined
          ? undefined
          : compileRule(`${path}.suitability`, () => env.compileCondition(a.suitability!)),
      contactPolicies: def.contactPolicies.flatMap((p, j) => (selectorMatches(p.appliesTo, a) ? [j] : [])),
      contextWeights: weights.filter((w) => selectorMatches(w.selector, a)).map((w) => w.compiled),
      consents: consents.filter((c) => selectorMatches(c.selector, a)).map((c) => c.compiled),
      learner:
        def.learning.overrides.find((o) => o.learner !== undefined && selectorMatches(o.appliesTo, a))
          ?.learner ?? def.learning.learner,
      model: modelOf(def, a),
      safeWhenDegraded: a.safeWhenDegraded,
      responseWindowMs: (() => {
        const hours = a.responseWindowHours ?? def.learning.responseWindowHours;
        return hours === undefined ? undefined : hours * 3_600_000;
      })(),
    };
    actionsById.set(a.id, compiled);
    return compiled;
  });

  issues.push(...sharedModelIssues(actions));
  for (const key of Object.keys(def.measurement.shadow?.levers ?? {})) {
    const [kind, name] = key.startsWith('group:')
      ? ['group', key.slice(6)]
      : key.startsWith('issue:')
        ? ['issue', key.slice(6)]
        : ['action', key];
    const known = actions.some(
      (a) => (kind === 'group' ? a.group : kind === 'issue' ? a.issue : a.id) === name,
    );
    if (!known)
      issues.push({
        path: `measurement.shadow.levers.${key}`,
        message: `no ${kind} '${name}' in the catalog`,
      });
  }
  const m = def.measurement;
  const arms: ArmSettings = {
    shares: { control: m.controlShare ?? 0.05, businessRule: m.businessRuleShare ?? 0 },
    stickyDays: m.stickyDays,
    salt: m.salt,
  };
  // Per-channel shares are no longer applied (one arm per customer, see arms.ts); stored catalogs that have
  // them keep loading and `catalogWarnings` says they are ignored.
  for (const channel of Object.keys(m.channels))
    if (!channels.has(channel))
      issues.push({ path: `measurement.channels.${channel}`, message: `unknown channel '${channel}'` });
  const triggersByEvent = compileTriggers(def, ruleSchema, channels, actions, issues, compileRule);
  if (issues.length > 0) throw new CatalogError(issues);
  return {
    version: contentHash(stableStringify(def)),
    definition: def,
    channels,
    actions,
    actionsById,
    contactPolicies: def.contactPolicies,
    ruleEnvironment: env,
    ruleSchema,
    explorer: def.learning.explorer,
    arms,
    triggersByEvent,
    ignored,
  };
}

function compileTriggers(
  def: CatalogFile,
  ruleSchema: RuleSchema,
  channels: Catalog['channels'],
  actions: readonly CompiledAction[],
  issues: CatalogIssue[],
  compileRule: <T>(path: string, compile: () => CompiledRule<T>) => CompiledRule<T> | undefined,
): Map<string, CompiledTrigger[]> {
  const out = new Map<string, CompiledTrigger[]>();
  const envs = new Map<string, RuleEnvironment>();
  const ids = new Set<string>();
  def.triggers.forEach((t, i) => {
    const path = `triggers[${i}]`;
    if (ids.has(t.id)) issues.push({ path: `${path}.id`, message: `duplicate trigger '${t.id}'` });
    ids.add(t.id);
    const eventType = def.events.types[t.event];
    if (!eventType) {
      issues.push({ path: `${path}.event`, message: `unknown event type '${t.event}'` });
      return;
    }
    const channel = channels.get(t.channel);
    if (!channel) issues.push({ path: `${path}.channel`, message: `unknown channel '${t.channel}'` });
    else if (channel.direction !== 'outbound')
      issues.push({ path: `${path}.channel`, message: `'${t.channel}' is not an outbound channel` });
    const allows = (a: CompiledAction) => selectorMatches(t.actions, a);
    if (!actions.some((a) => allows(a) && a.treatments.has(t.channel)))
      issues.push({
        path: `${path}.actions`,
        message: `no action it allows has a treatment for channel '${t.channel}'`,
      });
    for (const [name, value] of Object.entries(t.context)) {
      const type = ruleSchema.context[name];
      if (!type)
        issues.push({ path: `${path}.context.${name}`, message: 'not declared under schema.context' });
      else if (!matchesType(value, type))
        issues.push({ path: `${path}.context.${name}`, message: `expected ${type}` });
    }
    let env = envs.get(t.event);
    if (!env) {
      env = new RuleEnvironment({ ...ruleSchema, eventPayload: eventType.payload });
      envs.set(t.event, env);
    }
    const compiled: CompiledTrigger = {
      id: t.id,
      event: t.event,
      when:
        t.when === undefined ? undefined : compileRule(`${path}.when`, () => env.compileCondition(t.when!)),
      channel: t.channel,
      allows,
      features: new Set(
        [...(t.when ?? '').matchAll(/features\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!),
      ),
      limit: t.limit,
      context: t.context,
    };
    const list = out.get(t.event) ?? [];
    list.push(compiled);
    out.set(t.event, list);
  });
  return out;
}

/** Which model an action learns into: the first matching override that says `shared` decides. */
function modelOf(def: CatalogFile, a: ActionDefinition): { key: string; shared: boolean } {
  const override = def.learning.overrides.find(
    (o) => o.shared !== undefined && selectorMatches(o.appliesTo, a),
  );
  if (override) {
    // Keyed by the selector's content, so reordering the overrides keeps the model.
    return override.shared
      ? { key: `shared:${stableStringify(override.appliesTo)}`, shared: true }
      : { key: a.id, shared: false };
  }
  return def.learning.shared ? { key: 'shared:*', shared: true } : { key: a.id, shared: false };
}

/** Actions that share a model must ask for the same learner, and one that reads features. */
function sharedModelIssues(actions: readonly CompiledAction[]): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  const learnerOf = new Map<string, CompiledAction>();
  for (const a of actions) {
    if (!a.model.shared) continue;
    const path = `actions[${a.index}]`;
    if (a.learner === 'betaBinomial') {
      issues.push({
        path,
        message: `a shared model needs a learner that reads features; betaBinomial ignores them (action '${a.id}')`,
      });
      continue;
    }
    const first = learnerOf.get(a.model.key);
    if (!first) learnerOf.set(a.model.key, a);
    else if (first.learner !== a.learner) {
      issues.push({
        path,
        message: `action '${a.id}' shares a model with '${first.id}' but asks for learner ${a.learner}, not ${first.learner}`,
      });
    }
  }
  return issues;
}

/** What each shared model sees of its actions (actions with their own model are not in the map). */
export function sharedActionFeatures(catalog: Catalog): Map<string, Record<string, string | boolean>> {
  return new Map(
    catalog.actions.flatMap((a) => (a.model.shared ? [[a.id, actionFeatures(a)] as const] : [])),
  );
}

/**
 * What a shared model sees of an action, beside the customer's features: its id, group, issue and tags.
 * A new action shares its group, issue and tags with older ones, so it starts from what they learned.
 */
export function actionFeatures(action: CompiledAction): Record<string, string | boolean> {
  const features: Record<string, string | boolean> = {
    'action.id': action.id,
    'action.group': `${action.issue}/${action.group}`,
    'action.issue': action.issue,
  };
  for (const tag of action.tags) features[`action.tag.${tag}`] = true;
  return features;
}
