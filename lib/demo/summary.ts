// Human-readable demo summary: generated data, per-dataset buckets and skips, stream throughput, consumer wait, peak RSS.
import type { DatasetSummary, DemoSummary } from './run-demo.js';

function bucketLines(d: DatasetSummary): string[] {
  const entries = Object.entries(d.buckets).sort((a, b) => Number.parseFloat(a[0]) - Number.parseFloat(b[0]) || a[0].localeCompare(b[0]));
  if (entries.length === 0) return ['    (no buckets)'];
  const widest = Math.max(...entries.map(([, n]) => n));
  return entries.map(([k, n]) => `    ${k.padEnd(8)} ${String(n).padStart(5)}  ${'█'.repeat(Math.max(1, Math.round((20 * n) / widest)))}`);
}

function skipLine(d: DatasetSummary): string {
  const parts = Object.entries(d.skipped).filter(([, n]) => (n ?? 0) > 0).map(([r, n]) => `${r} ${n}`);
  return parts.length ? parts.join(', ') : 'none';
}

function datasetBlock(d: DatasetSummary): string[] {
  return [
    `  ${d.id}: ${d.samples} samples in ${Object.keys(d.buckets).length} buckets (${d.processed} files looked at, ${d.seconds.toFixed(2)} s${d.reusedCache ? ', scan cache reused' : ', scanned'})`,
    `    skipped: ${skipLine(d)}`,
    ...bucketLines(d),
  ];
}

/** The text `tunefeed demo` prints on stdout. */
export function formatSummary(s: DemoSummary): string {
  const lines = [
    '',
    'tunefeed demo summary',
    `  dataset folder: ${s.dir}`,
    `  config:         ${s.configPath}`,
    `  data:           ${s.generated.images} images + ${s.generated.brokenPlanted} planted broken files (${s.generated.created ? `generated in ${s.generated.seconds.toFixed(1)} s` : 'reused from an earlier run'})`,
    `  stages:         ${Object.entries(s.stages).map(([k, v]) => `${k} ${v}`).join(' · ')}`,
  ];
  if (s.datasets.length) {
    const reused = s.datasets.every((d) => d.reusedCache);
    lines.push('', `Scan${reused ? ' (every dataset reused its scan cache from the previous run)' : ''}:`);
    for (const d of s.datasets) lines.push(...datasetBlock(d));
  }
  if (s.stream) {
    const st = s.stream;
    lines.push(
      '',
      'Stream:',
      `  batches:        ${st.batches} (${st.samples} samples) in ${st.seconds.toFixed(2)} s`,
      `  samples/s:      ${st.samplesPerSecond.toFixed(1)}`,
      `  consumer wait:  ${(100 * st.waitShare).toFixed(2)} % of the time after the first batch (first batch after ${st.firstBatchMs.toFixed(0)} ms)`,
    );
    const per = Object.entries(st.perDataset);
    if (per.length) lines.push(`  by dataset:     ${per.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  lines.push('', `Peak memory (RSS): ${s.peakRssMb.toFixed(0)} MB · total ${s.seconds.toFixed(1)} s`);
  for (const n of s.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}
