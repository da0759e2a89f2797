// The decisions tab: the latest decisions and, for one of them, every candidate with its status, scores, the
// reason and the features that moved its propensity most.
import { esc, nb, ok } from '../api.ts';
import { clockTime, number, percent, t } from '../i18n.ts';
import { $, armText, handle } from './common.ts';

const listDecisions = () => ok(nb.GET('/v1/decisions', { params: { query: { limit: 25 } } }));

export async function recentDecisions(): Promise<void> {
  const table = $('#recent-decisions');
  let list: Awaited<ReturnType<typeof listDecisions>>;
  try {
    list = await listDecisions();
  } catch (error) {
    handle(error, $('#decision-message'));
    return;
  }
  table.innerHTML = `<thead><tr><th>${esc(t('time'))}</th><th>${esc(t('customer'))}</th><th>${esc(t('channel'))}</th><th>${esc(t('arm'))}</th><th>${esc(t('actions'))}</th></tr></thead><tbody>${list.decisions
    .map(
      (d) =>
        `<tr data-decision="${esc(d.decisionId)}"><td><button type="button" class="link">${esc(clockTime(d.at))}</button></td><td>${esc(d.customerId ?? '–')}</td><td>${esc(d.channel)}${d.trigger ? ` ⚡ ${esc(d.trigger)}` : ''}</td><td>${esc(armText(d.arm))}</td><td>${esc(d.actions.join(', ') || '–')}</td></tr>`,
    )
    .join('')}</tbody>`;
  for (const tr of table.querySelectorAll<HTMLTableRowElement>('tbody tr'))
    tr.querySelector('button')!.addEventListener('click', () => {
      $<HTMLInputElement>('#decision-id').value = tr.dataset.decision!;
      void explain(tr.dataset.decision!);
    });
}

export async function explain(id: string) {
  const message = $('#decision-message');
  message.textContent = '';
  try {
    const e = await ok(nb.GET('/v1/decisions/{id}/explain', { params: { path: { id } } }));
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
