// Human-readable demo summary: data, per-dataset buckets and skips, stream throughput, consumer wait, peak RSS.
import type { DatasetSummary, DemoSummary } from './run-demo.js';

function bucketLines(d: DatasetSummary): string[] {
  const entries = Object.entries(d.buckets).sort(
    (a, b) => Number.parseFloat(a[0]) - Number.parseFloat(b[0]) || a[0].localeCompare(b[0]),
  );
  if (entries.length === 0) return ['    (no buckets)'];
  const widest = Math.max(...entries.map(([, n]) => n));
  return entries.map(
    ([k, n]) =>
      `    ${k.padEnd(8)} ${String(n).padStart(5)}  ${'█'.repeat(Math.max(1, Math.round((20 * n) / widest)))}`,
  );
}

type Example = { file?: string; message?: string } | string;

function exampleText(e: Example): string {
  if (typeof e === 'string') return e;
  const msg = (e.message ?? '').replace(/\s+/g, ' ');
  return `${e.file ?? '?'}${msg ? ` — ${msg.length > 90 ? `${msg.slice(0, 87)}...` : msg}` : ''}`;
}

function skipLines(d: DatasetSummary): string[] {
  // The scan's report keeps a few example files per reason with the message; show them so a user can go and look.
  const examples = (d.report.examples ?? {}) as Record<string, Example[] | undefined>;
  const reasons = Object.entries(d.skipped).filter(([, n]) => (n ?? 0) > 0);
  if (reasons.length === 0) return ['    skipped: none'];
  const total = reasons.reduce((s, [, n]) => s + (n ?? 0), 0);
  const out = [`    skipped ${total} file${total === 1 ? '' : 's'}:`];
  for (const [reason, n] of reasons) {
    const ex = examples[reason] ?? [];
    out.push(`      ${reason} ${n}${ex.length ? `: ${exampleText(ex[0])}` : ''}`);
    for (const e of ex.slice(1, 3))
      out.push(`        ${' '.repeat(reason.length + String(n).length)}${exampleText(e)}`);
  }
  return out;
}

/** Buckets the scan removed (too few samples for a batch, aspect limits): samples a user may wonder about. */
function droppedLines(d: DatasetSummary): string[] {
  const events = (d.report.bucketEvents ?? []) as { bucket?: string; reason?: string; removed?: number }[];
  const real = events.filter((e) => (e.removed ?? 0) > 0);
  if (real.length === 0) return [];
  const total = real.reduce((s, e) => s + (e.removed ?? 0), 0);
  const parts = real.slice(0, 6).map((e) => `${e.bucket} −${e.removed} (${e.reason})`);
  const more = real.length > 6 ? ', ...' : '';
  return [`    removed from buckets: ${total} sample${total === 1 ? '' : 's'}: ${parts.join(', ')}${more}`];
}

function datasetBlock(d: DatasetSummary): string[] {
  const cache = d.reusedCache ? ', scan cache reused' : ', scanned';
  const how = `${d.processed} files looked at, ${d.seconds.toFixed(2)} s${cache}`;
  return [
    `  ${d.id}: ${d.samples} samples in ${Object.keys(d.buckets).length} buckets (${how})`,
    ...skipLines(d),
    ...droppedLines(d),
    ...bucketLines(d),
  ];
}

/** The text `tunefeed demo` prints on stdout. */
export function formatSummary(s: DemoSummary): string {
  const g = s.generated;
  const made = g.created ? `generated in ${g.seconds.toFixed(1)} s` : 'reused from an earlier run';
  const lines = [
    '',
    'tunefeed demo summary',
    `  dataset folder: ${s.dir}`,
    `  config:         ${s.configPath}`,
    `  data:           ${g.images} images + ${g.brokenPlanted} planted broken files (${made})`,
    `  stages:         ${Object.entries(s.stages)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ')}`,
  ];
  if (s.datasets.length) {
    const reused = s.datasets.every((d) => d.reusedCache);
    lines.push('', `Scan${reused ? ' (every dataset reused its scan cache from the previous run)' : ''}:`);
    for (const d of s.datasets) lines.push(...datasetBlock(d));
  }
  if (s.stream) {
    const st = s.stream;
    const after = st.warmupBatches === 1 ? 'the first batch' : `the first ${st.warmupBatches} batches`;
    const wait = `${(100 * st.waitShare).toFixed(2)} % of the time after ${after}`;
    lines.push(
      '',
      'Stream:',
      `  batches:        ${st.batches} (${st.samples} samples) in ${st.seconds.toFixed(2)} s`,
      `  samples/s:      ${st.samplesPerSecond.toFixed(1)}`,
      `  consumer wait:  ${wait} (first batch after ${st.firstBatchMs.toFixed(0)} ms)`,
    );
    const per = Object.entries(st.perDataset);
    if (per.length) lines.push(`  by dataset:     ${per.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    for (const [id, ex] of Object.entries(st.examples)) {
      const size = ex.targetSize ? `${ex.targetSize[0]}×${ex.targetSize[1]} ` : '';
      const caption =
        ex.caption === null
          ? 'no caption'
          : `caption ${JSON.stringify(ex.caption.length > 60 ? `${ex.caption.slice(0, 57)}...` : ex.caption)}`;
      lines.push(
        `  first ${id} sample: ${ex.key} → ${size}${ex.payload} (${(ex.bytes / 1024).toFixed(0)} KiB), ${caption}`,
      );
    }
    const skips = Object.entries(st.streamSkips);
    const skipText = skips.map(([r, e]) => `${r} ${e.count} (e.g. ${e.example})`).join(', ');
    if (skips.length) lines.push(`  skipped while streaming (replaced in their batch): ${skipText}`);
  }
  lines.push('', `Peak memory (RSS): ${s.peakRssMb.toFixed(0)} MB · total ${s.seconds.toFixed(1)} s`);
  for (const n of s.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}
