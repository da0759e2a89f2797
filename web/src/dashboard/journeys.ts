// The journeys tab: NPS and CSAT with intervals (per touchpoint and per action before the survey), what each
// trigger's messages led to, and how often customers are contacted per channel.
import { esc, nb, ok, type Schemas } from '../api.ts';
import { number, percent, t } from '../i18n.ts';
import { $, chart, EVERY_LABEL, handle, interval, MIN_INTERVAL_N, tile, windowRange } from './common.ts';

export async function journeys(): Promise<void> {
  const message = $('#journeys-message');
  const query = { from: windowRange().from };
  let journey: Schemas['JourneyKpis'];
  let feedback: Schemas['FeedbackKpis'];
  try {
    [journey, feedback] = await Promise.all([
      ok(nb.GET('/v1/kpis/journey', { params: { query } })),
      ok(nb.GET('/v1/kpis/feedback', { params: { query } })),
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
  // Each touchpoint's bar says how many answers it rests on, with its 95 % interval as a thin bar over it
  // (none below MIN_INTERVAL_N answers, where the label says so).
  const enough = (r: { responses: number }) => r.responses >= MIN_INTERVAL_N;
  chart('nps-chart', {
    type: 'bar',
    data: {
      labels: touch.map(
        (r) => `${r.touchpoint} (n = ${number(r.responses)}${enough(r) ? '' : `, ${t('nTooSmallShort')}`})`,
      ),
      datasets: [
        { label: t('nps'), data: touch.map((r) => r.nps ?? 0), backgroundColor: '#1f6feb' },
        {
          label: t('interval95'),
          data: touch.map((r) =>
            enough(r) ? [r.npsCi[0] ?? 0, r.npsCi[1] ?? 0] : null,
          ) as unknown as number[],
          backgroundColor: '#9ec5fe99',
          grouped: false,
          barPercentage: 0.15,
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { x: { ticks: EVERY_LABEL }, y: { min: -100, max: 100 } },
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
