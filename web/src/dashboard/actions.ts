// The actions tab: KPIs per action over the window beside its catalog entry, sortable, with the lever and daily
// budget editable in place (each save is a new catalog version).
import { esc, nb, ok, type Schemas } from '../api.ts';
import { money, number, percent, t } from '../i18n.ts';
import { $, actionName, activeCatalog, handle, windowRange } from './common.ts';

let sortKey = 'issue';
let sortDir = 1;

export async function actions(): Promise<void> {
  const message = $('#actions-message');
  let catalog: Schemas['Catalog'];
  let kpis: Schemas['Kpis'];
  try {
    [catalog, kpis] = await Promise.all([
      activeCatalog(true),
      ok(nb.GET('/v1/kpis', { params: { query: { by: 'action', from: windowRange().from } } })),
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
      name: actionName(a),
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
      <td class="num">${money(r.value, catalog.catalog.currency)}</td>
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
        const res = await ok(
          nb.PATCH('/v1/catalog/actions/{id}', { params: { path: { id: tr.dataset.action! } }, body }),
        );
        message.className = 'ok';
        message.textContent = `${t('saved')} ${res.version}`;
      } catch (error) {
        handle(error, message);
      }
    });
  }
}
