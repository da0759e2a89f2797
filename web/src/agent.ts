// The agent-assist page: a service agent looks a customer up, sees the 360 view and the top three next best
// actions for the call-centre channel with the reasons, and records the customer's answer with one click or key.
import { ApiError, esc, nb, ok, type Schemas } from './api.ts';
import { dateTime, languageSwitch, number, outcomeText, percent, t } from './i18n.ts';
import { keyedPage } from './keyGate.ts';

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const CHANNEL = 'call-centre';

type Decision = Schemas['Decision'];
type TimelineEntry = Schemas['Timeline']['entries'][number];
/** The answers an agent records, with the page's word for each. */
const ANSWERS = { accept: 'accept', reject: 'reject', impression: 'notNow' } as const;
type Answer = keyof typeof ANSWERS;

const page = keyedPage(() => {
  const id = $<HTMLInputElement>('#customer-id').value.trim();
  if (id) void load(id);
});

let current: { customerId: string; decision: Decision; answered: Set<string>; selected: number } | undefined;

function message(text: string, kind: 'error' | 'ok' | 'hint' = 'hint') {
  const m = $('#agent-message');
  m.textContent = text;
  m.className = kind;
}

function fail(error: unknown) {
  if (error instanceof ApiError && error.status === 401) {
    page.wrongKey();
    return;
  }
  if (error instanceof ApiError && error.status === 404 && error.field === 'params.id') {
    message(t('unknownCustomer'), 'error');
    return;
  }
  const scope = error instanceof ApiError && error.status === 403 ? `${t('keyScope')} ` : '';
  message(scope + (error instanceof Error ? error.message : String(error)), 'error');
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'number') return number(value, Number.isInteger(value) ? 0 : 2);
  return String(value);
}

function entryText(e: TimelineEntry): string {
  const when = dateTime(e.at);
  if (e.kind === 'event')
    return `${when} · ${e.type}${e.channel ? ` (${e.channel})` : ''} ${Object.entries(e.payload ?? {})
      .map(([k, v]) => `${k}=${describe(v)}`)
      .join(' ')}`;
  if (e.kind === 'decision')
    return `${when} · ${e.channel}: ${(e.actions ?? []).join(', ') || '–'}${e.trigger ? ` ⚡ ${e.trigger.id}` : ''}`;
  return `${when} · ${e.actionId}: ${outcomeText(e.outcome)}`;
}

async function load(customerId: string) {
  message('');
  let customer: Schemas['Customer'];
  let timeline: Schemas['Timeline'];
  const path = { id: customerId };
  try {
    [customer, timeline] = await Promise.all([
      ok(nb.GET('/v1/customers/{id}', { params: { path } })),
      ok(nb.GET('/v1/customers/{id}/timeline', { params: { path, query: { limit: 30 } } })),
    ]);
  } catch (error) {
    $('#agent').hidden = true;
    fail(error);
    return;
  }
  const dl = (el: HTMLElement, data: Record<string, unknown>) => {
    el.innerHTML =
      Object.entries(data)
        .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(describe(v))}</dd>`)
        .join('') || `<dd>${esc(t('none'))}</dd>`;
  };
  dl($('#profile'), customer.attributes);
  dl($('#features'), customer.features ?? {});
  const answered = new Set(timeline.entries.filter((e) => e.kind === 'outcome').map((e) => e.decisionId));
  const open = timeline.entries.filter(
    (e) => e.kind === 'decision' && e.trigger && !answered.has(e.decisionId),
  );
  $('#triggers').innerHTML = open.length
    ? open.map((e) => `<li>${esc(entryText(e))}</li>`).join('')
    : `<li>${esc(t('none'))}</li>`;
  $('#timeline').innerHTML = timeline.entries
    .slice(0, 15)
    .map((e) =>
      e.kind === 'decision'
        ? `<li class="decision"><a href="/#decision=${encodeURIComponent(e.decisionId ?? '')}">${esc(entryText(e))}</a></li>`
        : `<li class="${e.kind}">${esc(entryText(e))}</li>`,
    )
    .join('');
  $('#agent').hidden = false;
  await decide(customerId);
}

async function decide(customerId: string) {
  let decision: Decision;
  try {
    decision = await ok(
      nb.POST('/v1/decide', { body: { customerId, channel: CHANNEL, limit: 3, explain: true } }),
    );
  } catch (error) {
    fail(error);
    return;
  }
  current = { customerId, decision, answered: new Set(), selected: 0 };
  renderActions();
  // The keys work at once: focus leaves the search box for the first action.
  document.querySelector<HTMLElement>('.nba.selected')?.focus();
}

function reasons(actionId: string): string {
  const c = current?.decision.explanation?.candidates.find((x) => x.actionId === actionId);
  if (!c) return '';
  const top = (c.features ?? [])
    .filter((f) => f.contribution > 0)
    .slice(0, 3)
    .map((f) => f.name.replace(/^(customer|features|context)\./, ''));
  return [c.reason, top.length ? `${t('topFeatures')}: ${top.join(', ')}` : ''].filter(Boolean).join(' · ');
}

function renderActions() {
  if (!current) return;
  const { decision, answered, selected } = current;
  $('#actions').innerHTML =
    decision.actions
      .map(
        (
          a,
          i,
        ) => `<article class="nba${i === selected ? ' selected' : ''}" data-action="${esc(a.actionId)}" tabindex="0">
        <h3>${i + 1}. ${esc(a.treatment.title || a.name)}</h3>
        <div>${esc(a.treatment.text ?? a.description)}</div>
        <div class="reasons">${esc(t('propensity'))} ${percent(a.propensity)} · ${esc(reasons(a.actionId))}</div>
        <div class="buttons">${
          answered.has(a.actionId)
            ? `<span class="ok">${esc(t('recorded'))}</span>`
            : `<button type="button" data-outcome="accept">${esc(t('accept'))}</button>
               <button type="button" data-outcome="reject">${esc(t('reject'))}</button>
               <button type="button" data-outcome="impression">${esc(t('notNow'))}</button>`
        }</div></article>`,
      )
      .join('') || `<p>${esc(t('none'))}</p>`;
  for (const card of document.querySelectorAll<HTMLElement>('.nba')) {
    for (const b of card.querySelectorAll<HTMLButtonElement>('button[data-outcome]'))
      b.addEventListener('click', () => void record(card.dataset.action!, b.dataset.outcome as Answer));
  }
}

/** Not now records an impression: seen, no answer yet (a negative only if the response window runs out). */
async function record(actionId: string, outcome: Answer) {
  if (!current || current.answered.has(actionId)) return;
  try {
    await ok(
      nb.POST('/v1/outcomes', { body: { decisionId: current.decision.decisionId, actionId, outcome } }),
    );
    current.answered.add(actionId);
    message(`${t('recorded')}: ${actionId} → ${t(ANSWERS[outcome])}`, 'ok');
    renderActions();
  } catch (error) {
    fail(error);
  }
}

languageSwitch($('#lang'), () => {
  renderActions();
});
$('#search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = $<HTMLInputElement>('#customer-id').value.trim();
  if (id) void load(id);
});
document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement;
  if (target.tagName === 'INPUT') return;
  if (e.key === '/') {
    e.preventDefault();
    $<HTMLInputElement>('#customer-id').focus();
    return;
  }
  if (!current) return;
  if (['1', '2', '3'].includes(e.key) && Number(e.key) <= current.decision.actions.length) {
    current.selected = Number(e.key) - 1;
    renderActions();
    return;
  }
  const outcome = ({ a: 'accept', r: 'reject', n: 'impression' } as const)[e.key.toLowerCase() as 'a'];
  const action = current.decision.actions[current.selected];
  if (outcome && action) void record(action.actionId, outcome);
});
page.start();
