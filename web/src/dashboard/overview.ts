// The overview tab: decisions per second, accept rate per arm with intervals, lift over control and value per
// decision, and the two charts over time.
import { nb, ok, type Schemas } from '../api.ts';
import { clockTime, money, number, percent, t } from '../i18n.ts';
import { $, activeCatalog, chart, handle, interval, tile, windowRange } from './common.ts';

type ArmName = keyof Schemas['KpiSeries']['points'][number]['arms'];

const ARM_COLOURS: Record<ArmName, string> = {
  adaptive: '#1f6feb',
  control: '#d1495b',
  businessRule: '#8a8f98',
};

export async function overview(): Promise<void> {
  let series: Schemas['KpiSeries'];
  let currency: string | undefined;
  try {
    [series, currency] = await Promise.all([
      ok(nb.GET('/v1/kpis/series', { params: { query: windowRange() } })),
      activeCatalog().then((c) => c.catalog.currency),
    ]);
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
    tile(t('valuePerDecision'), money(decisions > 0 ? value / decisions : null, currency, 2)),
  ].join('');
  $('#overview-empty').hidden = decisions > 0;
  const labels = points.map((p) => clockTime(p.t));
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
