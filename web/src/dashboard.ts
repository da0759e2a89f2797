// The dashboard: overview (accept rate per arm over time, lift, value), actions (KPIs per action, levers and
// budgets), models (AUC, calibration, predictor importance) and the decision explorer. Public API only.

import { Chart, type ChartConfiguration, registerables } from 'chart.js';
import { ApiError, adminKey, api, esc } from './api.ts';
import { auditTab } from './auditTab.ts';
import { languageSwitch, number, percent, t } from './i18n.ts';
import { keyedPage } from './keyGate.ts';

Chart.register(...registerables);

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
let tab = 'overview';
const page = keyedPage(() => {
  select(tab);
  if (timer === undefined) timer = window.setInterval(() => tab === 'overview' && void refresh(), 5000);
});
let timer: number | undefined;

// ---- API shapes (the parts the pages read) --------------------------------------------------------------

type ArmName = 'adaptive' | 'control' | 'businessRule';
interface SeriesArm {
  cumOffers: number;
  cumAccepts: number;
  cumRate: number | null;
  cumCi: [number, number] | null;
}
interface Series {
  stepSeconds: number;
  points: Array<{
    t: string;
    arms: Record<ArmName, SeriesArm>;
    decisions: number;
    value: number;
    lift: number | null;
    liftCi: [number, number] | null;
  }>;
}
interface KpiRow {
  key: Record<string, string>;
  offers: number;
  accepts: number;
  acceptRate: number;
  value: number;
  decisions: number;
}
interface CatalogAction {
  id: string;
  name: string;
  issue: string;
  group: string;
  lever: number;
  budget?: { maxPerDay?: number; total?: number };
}
interface ModelSummary {
  actionId: string;
  model: string;
  kind: string;
  responses: number;
  successRate: number;
  maturity: string;
}
interface ModelReport extends ModelSummary {
  auc: number | null;
  calibration: Array<{ n: number; meanPredicted: number; observedRate: number; low: number; high: number }>;
  ece: number | null;
  calibrationSlope: number | null;
  predictors: Array<{ name: string; importance: number; active: boolean }>;
}
interface Explanation {
  decisionId: string;
  arm: string;
  candidates: Array<{
    actionId: string;
    status: 'chosen' | 'notChosen' | 'dropped';
    reason: string;
    priority?: number;
    propensity?: number;
    features?: Array<{ name: string; contribution: number }>;
  }>;
}

// ---- plumbing -------------------------------------------------------------------------------------------

function handle(error: unknown, where: HTMLElement) {
  if (error instanceof ApiError && error.status === 401) {
    page.wrongKey();
    return;
  }
  const scope = error instanceof ApiError && error.status === 403 ? `${t('keyScope')} ` : '';
  where.textContent = scope + (error instanceof Error ? error.message : String(error));
  where.className = 'error';
}

function select(name: string) {
  tab = name;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#tabs button'))
    b.classList.toggle('active', b.dataset.tab === name);
  for (const s of document.querySelectorAll<HTMLElement>('.tab')) s.hidden = s.id !== `tab-${name}`;
  void refresh();
}

async function refresh() {
  if (!adminKey.get()) {
    page.start();
    return;
  }
  if (tab === 'overview') await overview();
  else if (tab === 'actions') await actions();
  else if (tab === 'models') await models();
  else if (tab === 'decisions') await recentDecisions();
  else if (tab === 'journeys') await journeys();
  else if (tab === 'audit')
    await auditTab($<HTMLTableElement>('#audit-table'), $('#audit-message'), (e) =>
      handle(e, $('#audit-message')),
    );
}

const charts = new Map<string, Chart>();
function chart(id: string, config: ChartConfiguration): Chart {
  charts.get(id)?.destroy();
  const c = new Chart($<HTMLCanvasElement>(`#${id}`), config) as unknown as Chart;
  charts.set(id, c);
  return c;
}

/** A figure tile: label, value, a line of detail; `testid` names it for the browser tests. */
function tile(label: string, value: string, sub = '', testid = ''): string {
  return `<div class="tile" ${testid ? `data-testid="${testid}"` : ''}><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div><div class="sub">${esc(sub)}</div></div>`;
}

/** A model's maturity and a measurement arm in the page's language (the API sends their English names). */
function maturityText(maturity: string): string {
  const keys: Record<string, 'maturityCold' | 'maturityLearning' | 'maturityMature'> = {
    cold: 'maturityCold',
    learning: 'maturityLearning',
    mature: 'maturityMature',
  };
  return keys[maturity] ? t(keys[maturity]) : maturity;
}
function armText(arm: string): string {
  return arm === 'adaptive' || arm === 'control' || arm === 'businessRule' ? t(arm) : arm;
}

/** Below this many observations an interval says so instead of showing bounds that mean little. */
const MIN_INTERVAL_N = 10;

/** A 95 % interval as text, or "n too small" when it rests on fewer than MIN_INTERVAL_N observations. */
function interval(
  ci: readonly [number, number] | null | undefined,
  n: number | undefined,
  show: (x: number | undefined) => string,
  unit = '',
): string {
  if ((n ?? 0) < MIN_INTERVAL_N) return t('nTooSmall');
  return ci ? `95 %: ${show(ci[0])} … ${show(ci[1])}${unit}` : '';
}

// ---- overview -------------------------------------------------------------------------------------------

const ARM_COLOURS: Record<ArmName, string> = {
  adaptive: '#1f6feb',
  control: '#d1495b',
  businessRule: '#8a8f98',
};

async function overview() {
  const seconds = Number($<HTMLSelectElement>('#window').value);
  const to = Date.now();
  const from = to - seconds * 1000;
  let series: Series;
  try {
    series = await api<Series>(
      'GET',
      `/v1/kpis/series?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
    );
  } catch (error) {
    handle(error, $('#tiles'));
    return;
  }
  // The plot starts where the data does; the tiles use the whole window.
  const firstData = series.points.findIndex((p) => p.arms.adaptive.cumOffers + p.arms.control.cumOffers > 0);
  const points = firstData < 0 ? [] : series.points.slice(firstData);
  const last = points[points.length - 1];
  const decisions = series.points.reduce((s, p) => s + p.decisions, 0);
  const value = series.points.reduce((s, p) => s + p.value, 0);
  const recent = series.points.slice(-2).reduce((s, p) => s + p.decisions, 0);
  const rate = (arm: ArmName) => last?.arms[arm];
  const armTile = (label: string, arm: ArmName) => {
    const a = rate(arm);
    return tile(
      label,
      percent(a?.cumRate),
      a
        ? `${interval(a.cumCi, a.cumOffers, percent)} · ${number(a.cumAccepts)} / ${number(a.cumOffers)}`
        : '',
      `rate-${arm}`,
    );
  };
  $('#tiles').innerHTML = [
    tile(
      t('decisionsPerSecond'),
      number(recent / (2 * series.stepSeconds), 1),
      `${number(decisions)} ${t('decisions')}`,
    ),
    armTile(t('acceptAdaptive'), 'adaptive'),
    armTile(t('acceptControl'), 'control'),
    armTile(t('acceptBusinessRule'), 'businessRule'),
    tile(
      t('lift'),
      last?.lift === null || last?.lift === undefined
        ? '–'
        : `${last.lift >= 0 ? '+' : ''}${percent(last.lift, 0)}`,
      last
        ? interval(last.liftCi, Math.min(last.arms.adaptive.cumOffers, last.arms.control.cumOffers), (x) =>
            percent(x, 0),
          )
        : '',
      'lift',
    ),
    tile(t('valuePerDecision'), number(decisions > 0 ? value / decisions : null, 2)),
  ].join('');
  $('#overview-empty').hidden = decisions > 0;
  const labels = points.map((p) => new Date(p.t).toLocaleTimeString());
  const line = (arm: ArmName) => ({
    label: t(arm),
    data: points.map((p) => p.arms[arm].cumRate),
    borderColor: ARM_COLOURS[arm],
    backgroundColor: ARM_COLOURS[arm],
    pointRadius: points.length > 30 ? 0 : 3,
    spanGaps: true,
    borderWidth: 2,
  });
  const band = (arm: ArmName, i: 0 | 1) => ({
    label: `${t(arm)} ${i === 0 ? '2.5 %' : '97.5 %'}`,
    data: points.map((p) => p.arms[arm].cumCi?.[i] ?? null),
    borderColor: 'transparent',
    backgroundColor: `${ARM_COLOURS[arm]}22`,
    pointRadius: 0,
    spanGaps: true,
    fill: i === 1 ? '-1' : false,
  });
  const c = chart('lift-chart', {
    type: 'line',
    data: {
      labels,
      datasets: [
        line('adaptive'),
        line('control'),
        line('businessRule'),
        band('adaptive', 0),
        band('adaptive', 1),
        band('control', 0),
        band('control', 1),
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { min: 0, ticks: { callback: (v) => percent(Number(v), 0) } } },
      plugins: {
        legend: { labels: { filter: (item) => !item.text.includes('%') } },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${percent(ctx.parsed.y)}` } },
      },
    },
  });
  // A ratio of rates means little before the control arm has a few dozen offers: those buckets stay empty.
  const liftPoints = points.map((p) => (p.arms.control.cumOffers >= 30 ? p : undefined));
  const liftLine = (label: string, data: Array<number | null>, fill: false | string, colour: string) => ({
    label,
    data,
    borderColor: colour,
    backgroundColor: '#1f6feb22',
    pointRadius: label === t('lift') && points.length <= 30 ? 3 : 0,
    spanGaps: true,
    fill,
  });
  chart('lift-band-chart', {
    type: 'line',
    data: {
      labels,
      datasets: [
        liftLine(
          t('lift'),
          liftPoints.map((p) => p?.lift ?? null),
          false,
          '#1f6feb',
        ),
        liftLine(
          '2.5 %',
          liftPoints.map((p) => p?.liftCi?.[0] ?? null),
          false,
          'transparent',
        ),
        liftLine(
          '97.5 %',
          liftPoints.map((p) => p?.liftCi?.[1] ?? null),
          '-1',
          'transparent',
        ),
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        y: {
          ticks: { callback: (v) => percent(Number(v), 0) },
          suggestedMin: 0,
          // Early intervals are huge; the axis follows the recent half so the current lift stays readable.
          max: Math.max(
            1,
            ...liftPoints.slice(Math.floor(liftPoints.length / 2)).map((p) => (p?.liftCi?.[1] ?? 0) * 1.1),
          ),
        },
      },
      plugins: {
        legend: { labels: { filter: (item) => !item.text.includes('%') } },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${percent(ctx.parsed.y, 0)}` } },
      },
    },
  });
  // For tests and curious users: how many points each arm's line has.
  const canvas = c.canvas;
  canvas.dataset.adaptivePoints = String(points.filter((p) => p.arms.adaptive.cumRate !== null).length);
  canvas.dataset.controlPoints = String(points.filter((p) => p.arms.control.cumRate !== null).length);
}

// ---- actions --------------------------------------------------------------------------------------------

let sortKey = 'issue';
let sortDir = 1;

async function actions() {
  const message = $('#actions-message');
  let catalog: { version: number; catalog: { actions: CatalogAction[] } };
  let kpis: { rows: KpiRow[] };
  try {
    const seconds = Number($<HTMLSelectElement>('#window').value);
    [catalog, kpis] = await Promise.all([
      api<typeof catalog>('GET', '/v1/catalog'),
      api<typeof kpis>(
        'GET',
        `/v1/kpis?by=action&from=${new Date(Date.now() - seconds * 1000).toISOString()}`,
      ),
    ]);
  } catch (error) {
    handle(error, message);
    return;
  }
  const byAction = new Map(kpis.rows.map((r) => [r.key.action, r]));
  const rows = catalog.catalog.actions.map((a) => {
    const k = byAction.get(a.id);
    return {
      ...a,
      offers: k?.offers ?? 0,
      accepts: k?.accepts ?? 0,
      acceptRate: k?.acceptRate ?? 0,
      value: k?.value ?? 0,
    };
  });
  type Row = (typeof rows)[number];
  const cols: Array<[keyof Row, string, boolean]> = [
    ['issue', t('issue'), false],
    ['group', t('group'), false],
    ['name', t('action'), false],
    ['offers', t('offers'), true],
    ['accepts', t('accepts'), true],
    ['acceptRate', t('acceptRatePerOffer'), true],
    ['value', t('value'), true],
    ['lever', t('lever'), true],
  ];
  rows.sort((a, b) => {
    const x = a[sortKey as keyof Row];
    const y = b[sortKey as keyof Row];
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return sortDir * order || a.issue.localeCompare(b.issue) || a.group.localeCompare(b.group);
  });
  const table = $('#actions-table');
  table.innerHTML = `<thead><tr>${cols
    .map(
      ([k, label, num]) =>
        `<th data-key="${k}" class="${num ? 'num' : ''}">${esc(label)}${sortKey === k ? (sortDir > 0 ? ' ▲' : ' ▼') : ''}</th>`,
    )
    .join('')}<th>${esc(t('budgetPerDay'))}</th><th></th></tr></thead><tbody>${rows
    .map(
      (
        r,
      ) => `<tr data-action="${esc(r.id)}"><td>${esc(r.issue)}</td><td>${esc(r.group)}</td><td title="${esc(r.id)}">${esc(r.name)}</td>
      <td class="num">${number(r.offers)}</td><td class="num">${number(r.accepts)}</td><td class="num">${percent(r.acceptRate)}</td>
      <td class="num">${number(r.value, 0)}</td>
      <td class="num"><input class="lever" type="number" min="0" max="100" step="0.1" value="${r.lever}" aria-label="${esc(t('lever'))} ${esc(r.id)}"></td>
      <td><input class="budget" type="number" min="1" step="1" value="${r.budget?.maxPerDay ?? ''}" aria-label="${esc(t('budgetPerDay'))} ${esc(r.id)}"></td>
      <td><button type="button" class="save">${esc(t('save'))}</button></td></tr>`,
    )
    .join('')}</tbody>`;
  for (const th of table.querySelectorAll<HTMLElement>('th[data-key]')) {
    th.addEventListener('click', () => {
      const k = th.dataset.key!;
      sortDir = sortKey === k ? -sortDir : 1;
      sortKey = k;
      void actions();
    });
  }
  for (const tr of table.querySelectorAll<HTMLTableRowElement>('tbody tr')) {
    tr.querySelector('.save')!.addEventListener('click', async () => {
      const lever = Number(tr.querySelector<HTMLInputElement>('.lever')!.value);
      const budgetText = tr.querySelector<HTMLInputElement>('.budget')!.value.trim();
      const body = { lever, budget: budgetText === '' ? null : { maxPerDay: Number(budgetText) } };
      try {
        const res = await api<{ version: number }>('PATCH', `/v1/catalog/actions/${tr.dataset.action}`, body);
        message.className = 'ok';
        message.textContent = `${t('saved')} ${res.version}`;
      } catch (error) {
        handle(error, message);
      }
    });
  }
}

// ---- models ---------------------------------------------------------------------------------------------

async function models() {
  const table = $('#models-table');
  let list: { models: ModelSummary[] };
  try {
    list = await api<typeof list>('GET', '/v1/models');
  } catch (error) {
    handle(error, table);
    return;
  }
  table.innerHTML = `<thead><tr><th>${esc(t('action'))}</th><th>${esc(t('learner'))}</th><th class="num">${esc(t('responses'))}</th><th class="num">${esc(t('acceptRatePerResponse'))}</th><th>${esc(t('maturity'))}</th></tr></thead><tbody>${list.models
    .map(
      (m) =>
        `<tr data-action="${esc(m.actionId)}"><td><button type="button" class="link">${esc(m.actionId)}</button></td><td>${esc(m.kind)}</td><td class="num">${number(m.responses)}</td><td class="num">${percent(m.successRate)}</td><td>${esc(maturityText(m.maturity))}</td></tr>`,
    )
    .join('')}</tbody>`;
  for (const tr of table.querySelectorAll<HTMLTableRowElement>('tbody tr'))
    tr.querySelector('button')!.addEventListener('click', () => void modelReport(tr.dataset.action!));
}

async function modelReport(actionId: string) {
  const r = await api<ModelReport>('GET', `/v1/models/${encodeURIComponent(actionId)}/report`);
  $('#model-report').hidden = false;
  $('#model-title').textContent =
    `${actionId} · ${t('auc')} ${number(r.auc, 3)} · ${t('ece')} ${number(r.ece, 3)} · ${t('calibrationSlope')} ${number(r.calibrationSlope, 2)} · ${number(r.responses)} ${t('responses')}`;
  chart('calibration-chart', {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: t('observed'),
          data: r.calibration.map((c) => ({ x: c.meanPredicted, y: c.observedRate })),
          backgroundColor: '#1f6feb',
        },
        {
          // Each decile's 95 % interval as a vertical segment (a gap between segments).
          label: t('interval95'),
          type: 'line',
          data: r.calibration.flatMap((c) => [
            { x: c.meanPredicted, y: c.low },
            { x: c.meanPredicted, y: c.high },
            { x: c.meanPredicted, y: null },
          ]),
          borderColor: '#9ec5fe',
          pointRadius: 0,
          spanGaps: false,
        },
        {
          label: t('predicted'),
          type: 'line',
          data: [
            { x: 0, y: 0 },
            {
              x: Math.max(0.05, ...r.calibration.map((c) => Math.max(c.meanPredicted, c.high))),
              y: Math.max(0.05, ...r.calibration.map((c) => Math.max(c.meanPredicted, c.high))),
            },
          ],
          borderColor: '#8a8f98',
          pointRadius: 0,
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { min: 0, title: { display: true, text: t('predicted') } },
        y: { min: 0, title: { display: true, text: t('observed') } },
      },
    },
  });
  const top = r.predictors.slice(0, 12);
  chart('importance-chart', {
    type: 'bar',
    data: {
      labels: top.map((p) => p.name),
      datasets: [{ label: t('importance'), data: top.map((p) => p.importance), backgroundColor: '#1f6feb' }],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      indexAxis: 'y',
      plugins: { legend: { display: false } },
    },
  });
}

// ---- journeys and feedback -----------------------------------------------------------------------------

interface Spread {
  mean: number | null;
  median: number | null;
  p90: number | null;
  max: number | null;
}
interface SurveySummary {
  responses: number;
  nps?: number;
  npsCi?: [number, number];
  csat?: number;
  csatCi?: [number, number];
}
interface SurveyReport<T> {
  overall: T;
  byTouchpoint: Array<T & { touchpoint: string }>;
  byAction: Array<T & { actionId: string }>;
}

async function journeys() {
  const message = $('#journeys-message');
  const seconds = Number($<HTMLSelectElement>('#window').value);
  const range = `from=${new Date(Date.now() - seconds * 1000).toISOString()}`;
  let journey: {
    contacts: Array<{ channel: string; contacts: number; customers: number; perCustomer: Spread }>;
    triggers: Array<{
      trigger: string;
      channel: string;
      messages: number;
      delivered: number;
      answered: number;
      positiveRate: number;
      hoursToOutcome: Spread;
    }>;
  };
  let feedback: { nps: SurveyReport<SurveySummary> | null; csat: SurveyReport<SurveySummary> | null };
  try {
    [journey, feedback] = await Promise.all([
      api<typeof journey>('GET', `/v1/kpis/journey?${range}`),
      api<typeof feedback>('GET', `/v1/kpis/feedback?${range}`),
    ]);
  } catch (error) {
    handle(error, message);
    return;
  }
  message.textContent = feedback.nps || feedback.csat ? '' : t('noSurveys');
  const nps = feedback.nps?.overall;
  const csat = feedback.csat?.overall;
  $('#feedback-tiles').innerHTML = [
    nps
      ? tile(
          t('nps'),
          number(nps.nps, 0),
          `${interval(nps.npsCi, nps.responses, (x) => number(x, 0))} · ${number(nps.responses)} ${t('responsesShort')}`,
          'nps',
        )
      : '',
    csat
      ? tile(
          t('csat'),
          `${number(csat.csat, 0)} %`,
          `${interval(csat.csatCi, csat.responses, (x) => number(x, 0), ' %')} · ${number(csat.responses)} ${t('responsesShort')}`,
          'csat',
        )
      : '',
  ].join('');
  const touch = feedback.nps?.byTouchpoint ?? [];
  chart('nps-chart', {
    type: 'bar',
    data: {
      labels: touch.map((r) => r.touchpoint),
      datasets: [{ label: t('nps'), data: touch.map((r) => r.nps ?? 0), backgroundColor: '#1f6feb' }],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { min: -100, max: 100 } },
      plugins: { legend: { display: false } },
    },
  });
  const byAction = [...(feedback.nps?.byAction ?? [])].sort((a, b) => b.responses - a.responses).slice(0, 12);
  $('#nps-actions').innerHTML =
    `<thead><tr><th>${esc(t('action'))}</th><th class="num">${esc(t('nps'))}</th><th class="num">${esc(t('responsesShort'))}</th></tr></thead><tbody>${byAction
      .map(
        (r) =>
          `<tr><td>${esc(r.actionId)}</td><td class="num">${number(r.nps, 0)}</td><td class="num">${number(r.responses)}</td></tr>`,
      )
      .join('')}</tbody>`;
  $('#trigger-table').innerHTML =
    `<thead><tr><th>${esc(t('trigger'))}</th><th>${esc(t('channel'))}</th><th class="num">${esc(t('messages'))}</th><th class="num">${esc(t('delivered'))}</th><th class="num">${esc(t('answered'))}</th><th class="num">${esc(t('positiveRate'))}</th><th class="num">${esc(t('hoursToOutcome'))}</th></tr></thead><tbody>${journey.triggers
      .map(
        (r) =>
          `<tr><td>${esc(r.trigger)}</td><td>${esc(r.channel)}</td><td class="num">${number(r.messages)}</td><td class="num">${number(r.delivered)}</td><td class="num">${number(r.answered)}</td><td class="num">${percent(r.positiveRate)}</td><td class="num">${number(r.hoursToOutcome.median, 2)}</td></tr>`,
      )
      .join('')}</tbody>`;
  $('#contacts-table').innerHTML =
    `<thead><tr><th>${esc(t('channel'))}</th><th class="num">${esc(t('contacts'))}</th><th class="num">${esc(t('customers'))}</th><th class="num">${esc(t('perCustomer'))}</th></tr></thead><tbody>${journey.contacts
      .map(
        (r) =>
          `<tr><td>${esc(r.channel)}</td><td class="num">${number(r.contacts)}</td><td class="num">${number(r.customers)}</td><td class="num">${number(r.perCustomer.mean, 2)} / ${number(r.perCustomer.p90, 1)} / ${number(r.perCustomer.max)}</td></tr>`,
      )
      .join('')}</tbody>`;
}

// ---- decisions ------------------------------------------------------------------------------------------

async function recentDecisions() {
  const table = $('#recent-decisions');
  let list: {
    decisions: Array<{
      decisionId: string;
      customerId: string | null;
      channel: string;
      at: string;
      arm: string;
      actions: string[];
      trigger?: string;
    }>;
  };
  try {
    list = await api<typeof list>('GET', '/v1/decisions?limit=25');
  } catch (error) {
    handle(error, $('#decision-message'));
    return;
  }
  table.innerHTML = `<thead><tr><th>${esc(t('time'))}</th><th>${esc(t('customer'))}</th><th>${esc(t('channel'))}</th><th>arm</th><th>${esc(t('actions'))}</th></tr></thead><tbody>${list.decisions
    .map(
      (d) =>
        `<tr data-decision="${esc(d.decisionId)}"><td><button type="button" class="link">${esc(new Date(d.at).toLocaleTimeString())}</button></td><td>${esc(d.customerId ?? '–')}</td><td>${esc(d.channel)}${d.trigger ? ` ⚡ ${esc(d.trigger)}` : ''}</td><td>${esc(t(d.arm as 'adaptive'))}</td><td>${esc(d.actions.join(', ') || '–')}</td></tr>`,
    )
    .join('')}</tbody>`;
  for (const tr of table.querySelectorAll<HTMLTableRowElement>('tbody tr'))
    tr.querySelector('button')!.addEventListener('click', () => {
      $<HTMLInputElement>('#decision-id').value = tr.dataset.decision!;
      void explain(tr.dataset.decision!);
    });
}

async function explain(id: string) {
  const message = $('#decision-message');
  message.textContent = '';
  try {
    const e = await api<Explanation>('GET', `/v1/decisions/${encodeURIComponent(id)}/explain`);
    const statusText = { chosen: t('chosen'), notChosen: t('notChosen'), dropped: t('dropped') };
    $('#decision-result').innerHTML =
      `<p>${esc(t('arm'))}: <b>${esc(armText(e.arm))}</b></p><table><thead><tr><th>${esc(t('action'))}</th><th>${esc(t('status'))}</th><th class="num">${esc(t('propensity'))}</th><th class="num">${esc(t('priority'))}</th><th>${esc(t('reason'))}</th><th>${esc(t('topFeatures'))}</th></tr></thead><tbody>${e.candidates
        .map(
          (c) =>
            `<tr><td>${esc(c.actionId)}</td><td class="status-${c.status}">${esc(statusText[c.status])}</td><td class="num">${percent(c.propensity, 1)}</td><td class="num">${number(c.priority, 2)}</td><td>${esc(c.reason)}</td><td>${esc(
              (c.features ?? [])
                .slice(0, 3)
                .map((f) => `${f.name} ${f.contribution >= 0 ? '+' : ''}${number(f.contribution, 2)}`)
                .join(', '),
            )}</td></tr>`,
        )
        .join('')}</tbody></table>`;
  } catch (error) {
    $('#decision-result').replaceChildren();
    handle(error, message);
  }
}

// ---- start ----------------------------------------------------------------------------------------------

languageSwitch($('#lang'), () => void refresh());
for (const b of document.querySelectorAll<HTMLButtonElement>('#tabs button'))
  b.addEventListener('click', () => select(b.dataset.tab!));
$('#window').addEventListener('change', () => void refresh());
$('#decision-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void explain($<HTMLInputElement>('#decision-id').value.trim());
});
const fromHash = /decision=([^&]+)/.exec(location.hash);
if (fromHash) {
  tab = 'decisions';
  $<HTMLInputElement>('#decision-id').value = decodeURIComponent(fromHash[1]!);
  void explain(decodeURIComponent(fromHash[1]!));
}
page.start();
