// The models tab: every action's model (learner, evidence, accept rate per answered offer, maturity) and, for
// one of them, its report: calibration with intervals and predictor importance.
import { esc, nb, ok, type Schemas } from '../api.ts';
import { number, percent, t } from '../i18n.ts';
import { $, chart, EVERY_LABEL, handle, maturityText, windowRange } from './common.ts';

export async function models(): Promise<void> {
  const table = $('#models-table');
  let list: Schemas['Models'];
  try {
    list = await ok(nb.GET('/v1/models', { params: { query: { from: windowRange().from } } }));
  } catch (error) {
    handle(error, table);
    return;
  }
  table.innerHTML = `<thead><tr><th>${esc(t('action'))}</th><th>${esc(t('learner'))}</th><th class="num">${esc(t('responses'))}</th><th class="num">${esc(t('acceptRatePerResponse'))}</th><th>${esc(t('maturity'))}</th><th class="num">${esc(t('answeredInWindow'))}</th><th class="num">${esc(t('aucInWindow'))}</th></tr></thead><tbody>${list.models
    .map(
      (m) =>
        `<tr data-action="${esc(m.actionId)}"><td><button type="button" class="link">${esc(m.actionId)}</button></td><td>${esc(m.kind)}</td><td class="num">${number(m.responses)}</td><td class="num">${percent(m.successRate)}</td><td>${esc(maturityText(m.maturity))}</td><td class="num">${number(m.answered)}</td><td class="num" data-testid="auc">${number(m.auc, 3)}</td></tr>`,
    )
    .join('')}</tbody>`;
  for (const tr of table.querySelectorAll<HTMLTableRowElement>('tbody tr'))
    tr.querySelector('button')!.addEventListener('click', () => void modelReport(tr.dataset.action!));
}

async function modelReport(actionId: string) {
  const r = await ok(nb.GET('/v1/models/{id}/report', { params: { path: { id: actionId } } }));
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
      scales: { y: { ticks: EVERY_LABEL } },
      plugins: { legend: { display: false } },
    },
  });
}
