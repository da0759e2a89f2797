// A one-line progress bar on stderr for long jobs (imports, evaluations, benchmarks). Shown on a terminal, or
// when NEXTBEST_PROGRESS=1 (CI logs); silent otherwise, so piped JSON stays clean.
export function progress(label: string, total: number) {
  const show = process.stderr.isTTY || process.env.NEXTBEST_PROGRESS === '1';
  let last = -1;
  return (done: number) => {
    if (!show) return;
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
    if (pct === last) return;
    last = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}%`);
    if (done >= total) process.stderr.write('\n');
  };
}
