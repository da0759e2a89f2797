// `nextbest import events`: streams an NDJSON or CSV file of customer events into the store in batches. Every
// line is checked on its own, so a bad line is reported with its number and skipped while the rest goes in.
// Each batch commits together with the line it reached, so an interrupted import resumes exactly there.
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  createReadStream,
  openSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import type { EventsConfig } from '../core/events.ts';
import type { Attributes, AttributeValue } from '../core/types.ts';
import type { Engine, EventInput } from '../engine/engine.ts';
import { eventSchema } from '../server/schemas.ts';

export type ImportFormat = 'ndjson' | 'csv';

export interface ImportOptions {
  format?: ImportFormat;
  /** Events per transaction. */
  batch?: number;
  /** Appends every rejected line as NDJSON `{line, field, message, text}`. */
  rejects?: string;
  /** Ignore a recorded resume point and import the whole file again. */
  restart?: boolean;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Called for each rejected line (the CLI prints the first ones). */
  onReject?: (reject: Reject) => void;
}

export interface Reject {
  line: number;
  field: string;
  message: string;
  text: string;
}

export interface ImportSummary {
  file: string;
  format: ImportFormat;
  /** Lines already imported by an earlier, interrupted run (skipped this time). */
  resumedAfterLine: number;
  /** True when an earlier run finished this file (nothing was imported again). */
  alreadyImported: boolean;
  imported: number;
  rejected: number;
  /** Trigger decisions the events made, and how many queued a message. */
  triggered: number;
  queued: number;
  /** Triggers that fired but made no decision (e.g. an unknown customer). */
  triggersSkipped: number;
  seconds: number;
}

interface Item {
  line: number;
  bytes: number;
  text: string;
  input?: EventInput;
  problem?: { field: string; message: string };
}

export function formatOf(file: string, format?: ImportFormat): ImportFormat {
  if (format) return format;
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(ndjson|jsonl|json)$/i.test(file)) return 'ndjson';
  throw new Error(`cannot tell the format of ${file} from its name: pass --format ndjson or --format csv`);
}

/** Resume points are keyed by the file's real path and its first 64 KiB, so another file never resumes. */
function resumeKey(file: string): string {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(65_536);
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const hash = createHash('sha256').update(realpathSync(file)).update(head.subarray(0, n)).digest('hex');
  return `import.events.${hash.slice(0, 32)}`;
}

/** Checks the envelope like POST /v1/events does; the field is named relative to the event. */
function envelope(value: unknown): { input?: EventInput; problem?: { field: string; message: string } } {
  const parsed = eventSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = (issue as { keys?: string[] }).keys;
    const path = [
      ...issue.path.map(String),
      ...(issue.code === 'unrecognized_keys' && keys ? [keys[0]!] : []),
    ];
    return { problem: { field: path.join('.') || 'event', message: issue.message } };
  }
  const e = parsed.data;
  return {
    input: {
      customerId: e.customerId,
      type: e.type,
      at: Date.parse(e.timestamp),
      channel: e.channel,
      payload: e.payload as Attributes,
    },
  };
}

async function* ndjsonItems(file: string): AsyncGenerator<Item> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let bytes = 0;
  for await (const text of rl) {
    line++;
    bytes += Buffer.byteLength(text) + 1;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield {
        line,
        bytes,
        text,
        problem: { field: 'line', message: `not JSON (${(error as Error).message})` },
      };
      continue;
    }
    yield { line, bytes, text, ...envelope(value) };
  }
}

/** A CSV cell as the declared payload type: numbers and booleans parsed, lists and maps as JSON. */
function cell(raw: string, type: string | undefined): AttributeValue | undefined {
  if (raw === '') return undefined;
  switch (type) {
    case 'number': {
      const n = Number(raw);
      return Number.isFinite(n) ? n : raw;
    }
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'list<string>':
    case 'list<number>':
    case 'map':
      try {
        return JSON.parse(raw) as AttributeValue;
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}

const ENVELOPE = new Set(['customerId', 'type', 'timestamp', 'channel']);

async function* csvItems(file: string, config: EventsConfig): AsyncGenerator<Item> {
  const skipped: Item[] = [];
  const parser = createReadStream(file).pipe(
    parse({
      columns: true,
      info: true,
      raw: true,
      bom: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error, raw) => {
        skipped.push({
          line: Number(error?.lines ?? 0),
          bytes: 0,
          text: (raw ?? '').replace(/\r?\n$/, ''),
          problem: { field: 'line', message: error?.message ?? 'malformed CSV' },
        });
        return undefined;
      },
    }),
  );
  for await (const rec of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number; bytes: number };
    raw: string;
  }>) {
    while (skipped.length > 0) yield skipped.shift()!;
    const { record, info } = rec;
    const declared = config.types[record.type ?? '']?.payload ?? {};
    const payload: Attributes = {};
    for (const [column, raw] of Object.entries(record)) {
      if (ENVELOPE.has(column)) continue;
      const name = column.startsWith('payload.') ? column.slice('payload.'.length) : column;
      const value = cell(raw, declared[name]);
      if (value !== undefined) payload[name] = value;
    }
    const event = {
      customerId: record.customerId,
      type: record.type,
      timestamp: record.timestamp,
      ...(record.channel ? { channel: record.channel } : {}),
      payload,
    };
    yield { line: info.lines, bytes: info.bytes, text: rec.raw.replace(/\r?\n$/, ''), ...envelope(event) };
  }
  while (skipped.length > 0) yield skipped.shift()!;
}

export async function importEvents(
  engine: Engine,
  file: string,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const started = performance.now();
  const format = formatOf(file, options.format);
  const batchSize = options.batch ?? 20_000;
  const total = statSync(file).size;
  const key = resumeKey(file);
  const saved = options.restart ? undefined : await engine.store.getSetting(key);
  const resume = saved ? (JSON.parse(saved) as { line: number; done: boolean }) : { line: 0, done: false };
  const summary: ImportSummary = {
    file,
    format,
    resumedAfterLine: resume.done ? 0 : resume.line,
    alreadyImported: resume.done,
    imported: 0,
    rejected: 0,
    triggered: 0,
    queued: 0,
    triggersSkipped: 0,
    seconds: 0,
  };
  if (resume.done) return summary;

  let batch: EventInput[] = [];
  let lastLine = resume.line;
  let bytes = 0;
  const flush = async (done: boolean) => {
    const setting = { key, value: JSON.stringify({ line: lastLine, done }) };
    if (batch.length === 0) {
      await engine.store.setSetting(setting.key, setting.value);
      return;
    }
    const { seqs, triggered } = await engine.ingestEvents(batch, (i) => `event ${i}`, {
      setting,
      checked: true,
    });
    summary.imported += seqs.length;
    summary.triggered += triggered.filter((t) => t.decisionId).length;
    summary.queued += triggered.filter((t) => t.queued).length;
    summary.triggersSkipped += triggered.filter((t) => t.skipped).length;
    batch = [];
    options.onProgress?.(bytes, total);
  };
  const items =
    format === 'csv' ? csvItems(file, engine.activeCatalog.catalog.definition.events) : ndjsonItems(file);
  for await (const item of items) {
    if (item.bytes > 0) bytes = item.bytes;
    if (item.line <= resume.line) continue;
    const problem = item.problem ?? (item.input ? engine.eventProblem(item.input) : undefined);
    if (problem || !item.input) {
      const reject = {
        line: item.line,
        ...(problem ?? { field: 'line', message: 'unreadable' }),
        text: item.text,
      };
      summary.rejected++;
      options.onReject?.(reject);
      if (options.rejects) appendFileSync(options.rejects, `${JSON.stringify(reject)}\n`);
    } else {
      batch.push(item.input);
    }
    lastLine = item.line;
    if (batch.length >= batchSize) await flush(false);
  }
  await flush(true);
  options.onProgress?.(total, total);
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
