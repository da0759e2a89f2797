// The nextbest command line. Commands stay thin: they parse flags and call the engine or the server.
import { existsSync, readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { compileCatalog } from '../core/catalog.ts';
import { CatalogError } from '../core/catalogSchema.ts';
import { parseCatalogSource } from '../core/catalogSource.ts';
import { catalogWarnings } from '../core/catalogWarnings.ts';
import { type PolicySpec, policySpecSchema } from '../core/policy.ts';
import { BEHAVIOUR } from '../demo/assumptions.ts';
import { DemoSimulator } from '../demo/simulator.ts';
import { Engine } from '../engine/engine.ts';
import { decisionLog, evaluatePolicy, formatEvaluation, learnedOutcomes } from '../measure/evaluate.ts';
import { feedbackReport, formatFeedbackReport } from '../measure/feedback.ts';
import { formatJourneyReport, journeyReport } from '../measure/journey.ts';
import { formatKpiReport, kpiRange, kpiReport, parseKpiDimensions } from '../measure/kpis.ts';
import { buildServer } from '../server/app.ts';
import { generateKey } from '../server/auth.ts';
import { resolveKeys } from '../server/keys.ts';
import { databaseUrl, resetDatabase } from '../store/open.ts';
import { KPI_DIMENSIONS, type KpiDimension } from '../store/store.ts';
import { fail, onShutdown, port, positiveInt } from './args.ts';
import { open, openExisting } from './db.ts';
import { formatOf, type ImportFormat, importEvents } from './importEvents.ts';
import { keysCommand } from './keys.ts';
import { BUNDLED_CATALOG, PACKAGE_JSON, WEB_ROOT } from './paths.ts';
import { progress } from './progress.ts';
import { serveCommand } from './serve.ts';

const program = new Command();
program
  .name('nextbest')
  .description('Real-time next-best-action engine')
  .version((JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version)
  .showHelpAfterError();

serveCommand(program);
keysCommand(program);

/**
 * The demo's simulated customers log about a decision per session; without a limit its database grows by some
 * 20 MB a minute. Three hours cover the dashboard's shorter windows.
 */
const DEMO_RETENTION_HOURS = 3;

program
  .command('demo')
  .description(
    'The server on an embedded SQLite database with simulated customers using it over HTTP (what npm start runs); open the printed dashboard URL',
  )
  .option(
    '--db <url>',
    'database: a SQLite file (created when missing) or postgres://… (default: NEXTBEST_DB, else nextbest-demo.db)',
  )
  .option('--fresh', 'start from an empty database')
  .option('--port <n>', 'port to listen on', port, 8080)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--customers <n>', 'simulated customers', positiveInt, 10_000)
  .option('--speed <x>', `pace: 1 = ${BEHAVIOUR.sessionsPerSecond} sessions/s`, positiveNumber, 1)
  .option('--seed <n>', 'seed of the population and the visits', positiveInt, 1)
  .option('--url <url>', 'drive a running server instead (its admin key in NEXTBEST_ADMIN_KEY)')
  .option(
    '--retention-hours <h>',
    'keep the decisions of the last h hours (the database stops growing); 0 keeps them all',
    nonNegativeNumber,
    DEMO_RETENTION_HOURS,
  )
  .action(
    async (opts: {
      db: string;
      fresh?: boolean;
      port: number;
      host: string;
      customers: number;
      speed: number;
      seed: number;
      url?: string;
      retentionHours: number;
    }) => {
      let url = opts.url;
      let adminKey = process.env.NEXTBEST_ADMIN_KEY ?? '';
      let close = async () => {};
      if (url) {
        if (!URL.canParse(url)) fail(`--url: not a URL: ${url}`);
        if (!adminKey) fail('NEXTBEST_ADMIN_KEY: set it to the admin key of the server at --url');
      } else {
        const db = databaseUrl(opts.db, process.env, 'nextbest-demo.db');
        if (opts.fresh) await resetDatabase(db);
        const store = await open(db, '--db', { writerThread: true });
        const engine = await Engine.open(store, readFileSync(BUNDLED_CATALOG, 'utf8'), {
          ...(opts.retentionHours > 0
            ? { retention: { decisionsDays: opts.retentionHours / 24, sweepMs: 60_000 } }
            : {}),
        });
        // With both keys in the environment they rule; otherwise the stored (or newly generated) ones do, and the
        // demo and the printed dashboard link use an admin key of this run (stored keys are digests only).
        const keys = await resolveKeys(engine.store, process.env.NEXTBEST_API_KEY ? process.env : {});
        adminKey ||= keys.generated?.adminKey ?? generateKey('nba');
        keys.keys.ring.addFixed(adminKey, 'demo admin key', ['admin'], 'this run');
        const app = await buildServer(engine, { keys: keys.keys, webRoot: WEB_ROOT });
        url = await app.listen({ port: opts.port, host: opts.host });
        close = async () => {
          await app.close();
          await engine.close();
          await store.close();
        };
      }
      const sim = new DemoSimulator({
        url,
        adminKey,
        customers: opts.customers,
        seed: opts.seed,
        speed: opts.speed,
        log: (m) => console.error(m),
      });
      console.log(`nextbest demo: loading ${opts.customers} simulated customers …`);
      await sim.loadCustomers();
      console.log(`Dashboard:   ${url}/#key=${adminKey}`);
      console.log(`Agent page:  ${url}/agent#key=${adminKey}`);
      console.log(`API docs:    ${url}/docs`);
      console.log(`Admin key:   ${adminKey} (good for every route: curl -H "authorization: Bearer …")`);
      console.log(
        `Simulating ${opts.customers} customers, ${BEHAVIOUR.sessionsPerSecond * opts.speed} sessions/s (seed ${opts.seed}); Ctrl-C stops.`,
      );
      const rate = (arm: string) => {
        const offers = sim.stats.offers[arm] ?? 0;
        return offers > 0 ? `${((100 * (sim.stats.accepts[arm] ?? 0)) / offers).toFixed(1)} %` : '–';
      };
      const report = setInterval(() => {
        const s = sim.stats;
        console.log(
          `demo: ${s.sessions} sessions; accept rate adaptive ${rate('adaptive')}, control ${rate('control')}, ` +
            `business rule ${rate('businessRule')}; ${s.events} events, ${s.outboundAnswered} outbound answers` +
            (s.errors > 0 ? `, ${s.errors} errors` : ''),
        );
      }, 10_000);
      onShutdown(async () => {
        clearInterval(report);
        sim.stop();
        await close();
      });
      await sim.run();
    },
  );

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of 0 or more');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

const catalogCommand = program.command('catalog').description('Work with catalog files');
catalogCommand
  .command('validate <file>')
  .description('Check a catalog file and compile all its rules')
  .action((file: string) => {
    try {
      const catalog = compileCatalog(parseCatalogSource(readFileSync(file, 'utf8')));
      const issues = new Set(catalog.actions.map((a) => a.issue));
      const warnings = catalogWarnings(catalog);
      console.log(
        `${file}: valid (${catalog.actions.length} actions in ${issues.size} issues, ${catalog.channels.size} channels, ` +
          `${catalog.contactPolicies.length} contact policies, ${catalog.definition.triggers.length} triggers; version ${catalog.version})` +
          (warnings.length > 0 ? `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}:` : ''),
      );
      for (const w of warnings) console.log(`  warning: ${w.path}: ${w.message}`);
    } catch (error) {
      if (error instanceof CatalogError) {
        console.error(`${file}: invalid catalog`);
        for (const issue of error.issues)
          console.error(`  ${issue.path ? `${issue.path}: ` : ''}${issue.message}`);
        process.exitCode = 1;
        return;
      }
      console.error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  });

function isoTime(value: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('must be an ISO 8601 date or date-time');
  return t;
}

function dimensions(value: string): KpiDimension[] {
  try {
    return parseKpiDimensions(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

program
  .command('kpis')
  .description('KPIs and the lift of adaptive decisions over the control arm, from a nextbest database')
  .option(
    '--db <url>',
    'database: a SQLite file (or sqlite:<file>) or postgres://… (default: NEXTBEST_DB, else nextbest.db)',
  )
  .option('--from <time>', 'start, ISO 8601 (default: 30 days before --to)', isoTime)
  .option('--to <time>', 'end (exclusive), ISO 8601 (default: now)', isoTime)
  .option('--by <dims>', `comma-separated: ${KPI_DIMENSIONS.join(', ')}`, dimensions, [
    'arm',
  ] as KpiDimension[])
  .option('--journey', 'also contacts per customer and channel, and the triggers from event to answer')
  .option('--feedback', 'also NPS and CSAT from the survey events the catalog declares')
  .option('--json', 'print the report as JSON')
  .action(
    async (opts: {
      db: string;
      from?: number;
      to?: number;
      by: KpiDimension[];
      journey?: boolean;
      feedback?: boolean;
      json?: boolean;
    }) => {
      const store = await openExisting(databaseUrl(opts.db, process.env, 'nextbest.db'));
      const range = kpiRange(opts.from, opts.to, Date.now());
      const report = await kpiReport(store, { ...range, by: opts.by });
      const stored = await store.activeCatalog();
      const definition = stored
        ? compileCatalog(parseCatalogSource(stored.source), { stored: true }).definition
        : undefined;
      const journey = opts.journey
        ? await journeyReport(store, { ...range, positive: definition?.learning.positive ?? ['accept'] })
        : undefined;
      const feedback = opts.feedback
        ? await feedbackReport(store, definition?.events.surveys ?? {}, range)
        : undefined;
      await store.close();
      if (opts.json) {
        console.log(
          JSON.stringify(
            { ...report, ...(journey ? { journey } : {}), ...(feedback ? { feedback } : {}) },
            null,
            2,
          ),
        );
        return;
      }
      console.log(`KPIs ${new Date(report.from).toISOString()} – ${new Date(report.to).toISOString()}`);
      console.log(formatKpiReport(report));
      if (journey) console.log(formatJourneyReport(journey));
      if (feedback) console.log(formatFeedbackReport(feedback));
    },
  );

program
  .command('evaluate')
  .description(
    'Off-policy evaluation: how a candidate policy (learner, explorer, levers) would have done on logged decisions',
  )
  .requiredOption('--logs <url>', 'database with the decision log: a SQLite file or postgres://…')
  .requiredOption(
    '--policy <file>',
    'candidate policy, YAML or JSON (name, learner, learnerOptions, explorer, exploration, levers)',
  )
  .option('--from <time>', 'start, ISO 8601 (default: the first logged decision)', isoTime)
  .option('--to <time>', 'end (exclusive), ISO 8601 (default: now)', isoTime)
  .option('--seed <n>', 'seed of the candidate explorer', (v) => Number.parseInt(v, 10), 1)
  .option('--json', 'print the report as JSON')
  .action(
    async (opts: {
      logs: string;
      policy: string;
      from?: number;
      to?: number;
      seed: number;
      json?: boolean;
    }) => {
      if (!existsSync(opts.policy)) fail(`--policy: no file at ${opts.policy}`);
      let spec: PolicySpec;
      try {
        const parsed = policySpecSchema.safeParse(parseCatalogSource(readFileSync(opts.policy, 'utf8')));
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          fail(`--policy: ${['policy', ...issue.path].join('.')}: ${issue.message}`);
        }
        spec = parsed.data;
      } catch (error) {
        fail(`--policy: ${(error as Error).message}`);
      }
      const store = await openExisting(opts.logs, '--logs');
      const stored = await store.activeCatalog();
      if (!stored) fail(`--logs: ${opts.logs} has no catalog, so no decisions to replay`);
      // The candidate learns the outcomes under the catalog the engine learned them with.
      const catalog = compileCatalog(parseCatalogSource(stored.source), { stored: true });
      const positive = catalog.definition.learning.positive;
      const from = opts.from ?? 0;
      const to = opts.to ?? Date.now();
      const total = await store.decisionCount(from, to);
      const tick = progress('evaluate', total);
      const log = decisionLog(store, { from, to, positive });
      const report = await evaluatePolicy({ log, outcomes: learnedOutcomes(store), catalog }, spec, {
        seed: opts.seed,
        onProgress: (n) => {
          if (n % 500 === 0 || n === total) tick(n);
        },
      });
      await store.close();
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatEvaluation(report));
    },
  );

const importCommand = program.command('import').description('Bulk-load data into a nextbest database');
importCommand
  .command('events <file>')
  .description(
    'Import customer events from NDJSON (one event per line) or CSV (columns customerId, type, timestamp, channel and payload fields); bad lines are reported and skipped; an interrupted import resumes where it stopped',
  )
  .option(
    '--db <url>',
    'database: a SQLite file (or sqlite:<file>) or postgres://… (default: NEXTBEST_DB, else nextbest.db)',
  )
  .option('--catalog <file>', 'catalog to activate first (default: the active one, or the bundled example)')
  .option('--format <format>', 'ndjson or csv (default: from the file name)', (v) => {
    if (v !== 'ndjson' && v !== 'csv') throw new InvalidArgumentError('must be ndjson or csv');
    return v as ImportFormat;
  })
  .option('--batch <n>', 'events per transaction', positiveInt, 20_000)
  .option('--rejects <file>', 'append every rejected line to this NDJSON file')
  .option('--restart', 'import the whole file again, even if an earlier run finished or got part of it in')
  .option('--json', 'print the summary as JSON')
  .action(
    async (
      file: string,
      opts: {
        db: string;
        catalog?: string;
        format?: ImportFormat;
        batch: number;
        rejects?: string;
        restart?: boolean;
        json?: boolean;
      },
    ) => {
      if (!existsSync(file)) fail(`<file>: no file at ${file}`);
      let format: ImportFormat;
      try {
        format = formatOf(file, opts.format);
      } catch (error) {
        fail(`--format: ${(error as Error).message}`);
      }
      const store = await open(databaseUrl(opts.db, process.env, 'nextbest.db'));
      const bundled = readFileSync(BUNDLED_CATALOG, 'utf8');
      const engine = await Engine.open(store, opts.catalog ? readFileSync(opts.catalog, 'utf8') : bundled);
      if (opts.catalog) await engine.putCatalog(readFileSync(opts.catalog, 'utf8'));
      const tick = progress('import', 100);
      const shown = 20;
      let reported = 0;
      const summary = await importEvents(engine, file, {
        format,
        batch: opts.batch,
        ...(opts.rejects ? { rejects: opts.rejects } : {}),
        ...(opts.restart ? { restart: true } : {}),
        onProgress: (done, total) => tick(total > 0 ? Math.floor((100 * done) / total) : 100),
        onReject: (r) => {
          if (reported++ < shown) console.error(`line ${r.line}: ${r.field}: ${r.message}`);
        },
      });
      await engine.close();
      await store.close();
      if (opts.json) {
        console.log(JSON.stringify(summary, null, 2));
        return;
      }
      if (summary.alreadyImported) {
        console.log(`${file}: already imported (pass --restart to import it again)`);
        return;
      }
      if (summary.rejected > shown)
        console.error(
          `… and ${summary.rejected - shown} more rejected lines${opts.rejects ? ` (all in ${opts.rejects})` : ' (--rejects <file> keeps them all)'}`,
        );
      const rate = summary.seconds > 0 ? Math.round(summary.imported / summary.seconds) : 0;
      console.log(
        `${file}: imported ${summary.imported} events, rejected ${summary.rejected} lines` +
          (summary.resumedAfterLine > 0 ? `, resumed after line ${summary.resumedAfterLine}` : '') +
          ` in ${summary.seconds.toFixed(1)} s (${rate} events/s); ` +
          `triggers made ${summary.triggered} decisions, ${summary.queued} messages queued` +
          (summary.triggersSkipped > 0 ? `, ${summary.triggersSkipped} skipped (unknown customers)` : ''),
      );
    },
  );

await program.parseAsync(process.argv);
