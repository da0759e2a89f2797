// Shared by the serving benchmarks: the bench catalogs and customers, starting server processes, driving load
// with autocannon from this process (PROTOCOL.md section 4) and reading a process tree's peak memory.
import type { ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { mulberry32 } from '../../src/core/random.ts';

/**
 * `n` actions in groups of four, every one eligible for the bench customers, with rules (eligibility,
 * suitability, CEL values), contact policies, a context weight and, with `budgets`, a daily budget on every
 * fourth action that is never reached (so decisions reserve budgets).
 */
export function benchCatalog(n: number, options: { budgets?: boolean } = {}) {
  const actions = Array.from({ length: n }, (_, i) => ({
    id: `Action${String(i).padStart(4, '0')}`,
    name: `Action ${i}`,
    issue: ['Sales', 'Service', 'Retention', 'Information'][i % 4],
    group: `Group${Math.floor(i / 4)}`,
    value: i % 3 === 0 ? `customer.balance * 0.01 + ${i}.0` : 10 + i,
    lever: 1 + (i % 5) / 10,
    eligibility: 'customer.age >= 18 && has(customer.segment)',
    suitability:
      i % 2 === 0
        ? 'customer.balance > 10.0'
        : '"mobile" in customer.products && (!has(context.intent) || context.intent != "complaint")',
    treatments: { web: { title: `Offer ${i}`, text: 'Something good', link: `/offer/${i}` } },
    ...(options.budgets && i % 4 === 0 ? { budget: { maxPerDay: 1_000_000_000 } } : {}),
  }));
  return {
    name: `bench-${n}`,
    channels: [{ id: 'web' }],
    schema: {
      customer: { age: 'number', segment: 'string', balance: 'number', products: 'list<string>' },
      context: { intent: 'string', device: 'string' },
    },
    actions,
    arbitration: { onePerGroup: true, defaultLimit: 3, maxLimit: 10 },
    contactPolicies: [
      { id: 'cap', type: 'maxContacts', scope: 'action', count: 1000, days: 30 },
      { id: 'pause', type: 'pauseAfterReject', scope: 'action', days: 14 },
      { id: 'customer-cap', type: 'maxContacts', scope: 'customer', count: 100000, days: 7 },
    ],
    contextWeights: [
      {
        when: 'has(context.intent) && context.intent == "cancel"',
        appliesTo: { issue: 'Retention' },
        weight: 3,
      },
    ],
    learning: { exploration: 0.05 },
  };
}

/** The profile of bench customer `i` (the same for every run). */
export function benchCustomer(i: number) {
  const rnd = mulberry32(i);
  return {
    age: 18 + Math.floor(rnd() * 60),
    segment: rnd() < 0.3 ? 'gold' : 'basic',
    balance: Math.round(20 + rnd() * 5000),
    products: rnd() < 0.7 ? ['mobile', 'fibre'] : ['mobile'],
  };
}

const INTENTS = ['browse', 'billing', 'upgrade', 'cancel', 'complaint'];
const DEVICES = ['ios', 'android', 'desktop'];

/** A decide request of a random bench customer with a realistic context. */
export function decideBody(rnd: () => number, customers: number): string {
  return JSON.stringify({
    customerId: `B${Math.floor(rnd() * customers)}`,
    channel: 'web',
    limit: 3,
    context: {
      intent: INTENTS[Math.floor(rnd() * INTENTS.length)],
      device: DEVICES[Math.floor(rnd() * DEVICES.length)],
    },
  });
}

/** The URL a server process prints once it listens. */
export function waitForUrl(child: ChildProcess, ms = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no start:\n${out}`)), ms);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}:\n${out}`));
    });
  });
}

export interface LoadFigures {
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  total: number;
}

function percentileOf(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** A request autocannon sends: the path and body; `onBody` sees the answer's body (for follow-up requests). */
export interface NextRequest {
  path: string;
  body: string;
  onBody?: (body: string) => void;
}

/**
 * Drives `url` with `connections` connections for `seconds`; `next` gives each request. Latencies are taken
 * from every response (autocannon's own percentiles have no p95). Any non-2xx answer or error fails the run.
 */
export async function load(
  url: string,
  options: {
    connections: number;
    seconds: number;
    headers?: Record<string, string>;
    next: () => NextRequest;
  },
): Promise<LoadFigures> {
  const latencies: number[] = [];
  const pending = new Map<unknown, NextRequest>();
  // Without a callback autocannon answers an emitter that is also the promise of the result.
  const instance = autocannon({
    url,
    method: 'POST',
    connections: options.connections,
    duration: options.seconds,
    headers: { 'content-type': 'application/json', ...options.headers },
    requests: [
      {
        setupRequest: (req, context) => {
          const r = options.next();
          pending.set(context, r);
          return { ...req, path: r.path, body: r.body };
        },
        onResponse: (_status, body, context) => {
          const r = pending.get(context);
          if (r?.onBody) r.onBody(body);
        },
      },
    ],
  }) as unknown as EventEmitter & Promise<autocannon.Result>;
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  const sorted = Float64Array.from(latencies).sort();
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    connections: options.connections,
    requestsPerSecond: Math.round(result.requests.total / options.seconds),
    p50Ms: round(percentileOf(sorted, 0.5)),
    p95Ms: round(percentileOf(sorted, 0.95)),
    p99Ms: round(percentileOf(sorted, 0.99)),
    total: result.requests.total,
  };
}

/** A process and its descendants (a cluster's workers), from /proc (Linux). */
export function processTree(pid: number): number[] {
  const out = [pid];
  try {
    for (const task of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) {
      if (task) out.push(...processTree(Number(task)));
    }
  } catch {
    // not Linux, or the process is gone
  }
  return out;
}

/** Peak resident memory (VmHWM) of one process in MB, or NaN where /proc cannot tell. */
export function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time (user + system, ms) a process has spent: on its main thread (the event loop) and on all its threads
 * (workers such as the SQLite writer, libuv's pool, V8's helpers), or zeros where /proc cannot tell.
 */
export function cpuMs(pid: number): { main: number; all: number } {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  let main = 0;
  let all = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * tick;
      all += ms;
      if (tid === String(pid)) main += ms;
    }
  } catch {
    // not Linux, or the process is gone
  }
  return { main, all };
}
