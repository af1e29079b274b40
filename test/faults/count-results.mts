// Runs the fault suite once and prints the counts behind docs/reliability.md: per-file results, every FAULT-COUNT
// record of test/faults/, and the counted assertions of the other areas' fault tests. Run: npx tsx test/faults/count-
// results.mts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// tap picks up every file under test/; when it runs this one, it is a skipped file, not a second suite run.
if (process.env.TAP === '1') {
  console.log('1..0 # SKIP the counting script runs the suite itself: npx tsx test/faults/count-results.mts');
  process.exit(0);
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FAULT_FILES = [
  'test/metadata/bad-input.test.ts',
  'test/metadata/scan.test.ts',
  'test/metadata/scan-processes.test.ts',
  'test/image/decode-pool.test.ts',
  'test/storage/s3-faults.test.ts',
  'test/storage/s3-scan-faults.test.ts',
  'test/storage/s3-secrets.test.ts',
  'test/storage/disk-faults.test.ts',
  'test/storage/csv.test.ts',
  'test/storage/csv-index.test.ts',
  'test/storage/local.test.ts',
  'test/config/fuzz.test.ts',
  'test/embeds/hostile-input.test.ts',
  'test/metadata/parquet-video.test.ts',
  'test/storage/huggingface.test.ts',
  'test/faults/stream-bad-images.test.ts',
  'test/faults/s3-stream-faults.test.ts',
  'test/faults/data-files.test.ts',
  'test/faults/config-hostile.test.ts',
  'test/faults/csv-http-bounds.test.ts',
  'test/faults/scan-disk-faults.test.ts',
  'test/faults/kill-scan.test.ts',
  'test/faults/cli-secrets.test.ts',
  'test/faults/no-listeners.test.ts',
  'test/faults/csv-stream-faults.test.ts',
  'test/pipeline/stream-kill-resume.test.ts',
  'test/pipeline/insert-stage.test.ts',
];

/** Assertion names in other areas' tests that carry counts (they print them; we only collect). */
const COUNTED = new RegExp(
  /injected \d+ times|retry reasons seen|probes only the \d+|balanced:|both outcomes occur|syntax errors reported|/
    .source +
    /bounded: \d+|exactly maxAttempts|faults injected:|skips by reason|usable \+ skipped|every planted file|/.source +
    /counts match|planned − delivered|waited \d+ times|peak RSS/.source,
);

const files = process.argv.length > 2 ? process.argv.slice(2) : FAULT_FILES;
const countsFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'tf-counts-')), 'counts.jsonl');
const started = Date.now();
const run = spawnSync('npx', ['tap', '--disable-coverage', '--reporter=tap', ...files], {
  cwd: ROOT,
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
  env: {
    ...process.env,
    TF_FAULT_COUNTS: countsFile,
    TUNEFEED_LOG_LEVEL: 'error',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  },
});
const seconds = ((Date.now() - started) / 1000).toFixed(0);
const lines = run.stdout.split('\n');
writeFileSync(countsFile.replace('counts.jsonl', 'tap.txt'), run.stdout);

console.log(`## Per file (${files.length} files, ${seconds} s wall)\n`);
for (const l of lines) {
  const m = /^(not ok|ok) \d+ - (\S+\.test\.ts)(?: # time=([\d.]+)ms)?/.exec(l);
  if (m) console.log(`- ${m[1] === 'ok' ? 'PASS' : 'FAIL'} ${m[2]} (${(Number(m[3] ?? 0) / 1000).toFixed(1)} s)`);
}
const totals = lines.filter((l) => /^# \{ total/.test(l)).join('\n');
console.log(`\n${totals}\n\nRaw TAP: ${countsFile.replace('counts.jsonl', 'tap.txt')}\n`);

console.log('## FAULT-COUNT records (test/faults)\n');
let records: string[] = [];
try {
  records = readFileSync(countsFile, 'utf8').trim().split('\n').filter(Boolean);
} catch {
  /* none written */
}
for (const r of records) console.log(`- ${r}`);

console.log('\n## Counted assertions and comments of the audited tests\n');
let file = '';
for (const l of lines) {
  const f = /^# Subtest: (test\/\S+\.test\.ts)/.exec(l);
  if (f) file = f[1]!;
  if (file.startsWith('test/faults/')) continue;
  const a = /^\s+((?:not )?ok \d+ - .*)$/.exec(l);
  const c = /^\s+# (?!Subtest|time=|FAULT-COUNT)(.*\d.*)$/.exec(l);
  if (a && COUNTED.test(a[1])) console.log(`- ${file}: ${a[1].replace(/ # time=.*$/, '').slice(0, 200)}`);
  else if (c) console.log(`- ${file}: # ${c[1].slice(0, 200)}`);
}
process.exit(run.status ?? 1);
