// Where a server's CPU time went: a V8 .cpuprofile (node --cpu-prof) summarised by concern. Each sample goes
// to the innermost frame on its stack that belongs to a known concern (native calls such as a SQLite step have
// no script of their own and count for the JavaScript that called them).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const GROUPS: Array<[string, RegExp]> = [
  ['store: SQLite', /better-sqlite3|\/(?:src|dist)\/store\/sqlite\//],
  ['store: PostgreSQL', /\/node_modules\/(pg|pg-protocol|pg-pool)\/|\/(?:src|dist)\/store\/postgres\//],
  ['store: shared', /\/(?:src|dist)\/store\//],
  ['rules (CEL)', /cel-js|\/(?:src|dist)\/core\/rules\.[jt]s/],
  ['scoring and learning', /\/(?:src|dist)\/learn\//],
  ['decision logic (core)', /\/(?:src|dist)\/core\//],
  ['engine services', /\/(?:src|dist)\/engine\//],
  ['schemas (zod)', /\/zod\/|fastify-type-provider-zod/],
  ['HTTP (Fastify)', /fastify|find-my-way|avvio|light-my-request|fast-json-stringify|pino/],
  ['server routes', /\/(?:src|dist)\/server\//],
  ['Node.js (net, http, streams)', /^node:/],
];

function groupOf(url: string, name: string): string | undefined {
  if (name === '(garbage collector)') return 'garbage collection';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'V8 and native (no script)';
  if (!url) return undefined;
  for (const [group, re] of GROUPS) if (re.test(url)) return group;
  return 'other scripts';
}

export interface ProfileSummary {
  /** Percent of busy (non-idle) time by concern, largest first. */
  groups: Array<{ group: string; percent: number }>;
  /** The functions the time is attributed to (the innermost frame with a script), largest first. */
  functions: Array<{ fn: string; percent: number }>;
}

/**
 * Where the busy time of the event-loop threads (or of the worker threads) went: every such .cpuprofile in `dir` (node names them
 * CPU.<date>.<time>.<pid>.<thread>.<n>; thread 0 is the main thread, others are workers and loaders).
 */
export function summariseProfiles(
  dir: string,
  top = 15,
  threads: 'main' | 'workers' = 'main',
): ProfileSummary {
  const ms = new Map<string, number>();
  const fns = new Map<string, number>();
  const pattern =
    threads === 'main'
      ? /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/
      : /^CPU\.\d+\.\d+\.\d+\.[1-9]\d*\.\d+\.cpuprofile$/;
  for (const file of readdirSync(dir).filter((f) => pattern.test(f))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const memo = new Map<number, { group: string; fn: string }>();
    const resolve = (id: number): { group: string; fn: string } => {
      const known = memo.get(id);
      if (known) return known;
      const node = byId.get(id)!;
      const { url, functionName } = node.callFrame;
      const own = groupOf(url, functionName);
      const up = parent.get(id);
      const found = own
        ? {
            group: own,
            fn: `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|src|dist)\//, '')}`,
          }
        : up === undefined
          ? { group: 'V8 and native (no script)', fn: functionName }
          : resolve(up);
      memo.set(id, found);
      return found;
    };
    profile.samples.forEach((id, i) => {
      const { group, fn } = resolve(id);
      const t = (profile.timeDeltas[i] ?? 0) / 1000;
      ms.set(group, (ms.get(group) ?? 0) + t);
      if (group !== 'idle') fns.set(fn, (fns.get(fn) ?? 0) + t);
    });
  }
  ms.delete('idle');
  const busy = [...ms.values()].reduce((a, b) => a + b, 0);
  const percent = (t: number) => Math.round((t / busy) * 1000) / 10;
  return {
    groups: [...ms.entries()]
      .map(([group, t]) => ({ group, percent: percent(t) }))
      .sort((a, b) => b.percent - a.percent),
    functions: [...fns.entries()]
      .map(([fn, t]) => ({ fn, percent: percent(t) }))
      .sort((a, b) => b.percent - a.percent)
      .slice(0, top),
  };
}
