// Bench harness: result lines are parsed and judged against the targets; run-all writes RESULTS.md from real runs.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { growthNote } from '../../bench/memory-notes.js';
import { mergeRecords, type RunRecord } from '../../bench/results-data.js';
import { evaluateTargets, parseBenchOutput, renderResults, type BenchLine } from '../../bench/results.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

t.test('parseBenchOutput keeps only JSON objects with bench and case', async (t) => {
  const out = [
    'hello',
    '{"bench":"scan","case":"a","figures":{"x":1}}',
    '{"nope":1}',
    '{broken',
    '  {"bench":"decode","case":"b"}  ',
  ].join('\n');
  t.same(
    parseBenchOutput(out).map((l) => l.case),
    ['a', 'b'],
  );
});

t.test('targets: PASS, MISS, NOT RUN, percent keys and ±10 % band', async (t) => {
  const lines: BenchLine[] = [
    { bench: 'scan', case: 'local', ratios: { vs_full_decode: 80, vs_raw_loop: 0.7 } },
    { bench: 'prefetch', case: 'slow', figures: { wait_pct: 1.5 } },
    { bench: 'prefetch', case: 'sleeping consumer, no prefetch (decode on demand)', figures: { wait_share: 0.4 } },
    { bench: 'memory', case: 'flatness', ratios: { rss_1m_vs_100k: 1.12 } },
  ];
  const rows = evaluateTargets(lines);
  const by = (label: RegExp) => rows.filter((r) => label.test(r.target.label));
  t.equal(by(/50×/)[0].verdict, 'PASS');
  t.equal(by(/0\.8× raw read-and-parse/)[0].verdict, 'MISS');
  t.equal(by(/waits/)[0].measured, 0.015, 'percent converted to a fraction');
  t.equal(by(/waits/)[0].verdict, 'PASS');
  t.equal(by(/waits/).length, 1, 'the no-prefetch control case is not judged');
  t.equal(by(/RSS flat/)[0].verdict, 'MISS', '12 % growth is outside ±10 %');
  t.equal(by(/latents/)[0].verdict, 'NOT RUN');
  t.equal(by(/PIL/).length, 1, 'the PIL target appears once when neither bench ran');
});

t.test('renderResults has machine, command, targets and every figure', async (t) => {
  const md = renderResults(
    {
      date: '2026-11-26T00:00:00Z',
      command: 'npm run bench',
      commit: 'abc1234',
      machine: { cpu: 'Test CPU', cores: 2, memoryGiB: 4, os: 'Linux' },
      versions: { node: 'v20' },
      runs: [{ file: 'bench/scan.ts', exitCode: 0, seconds: 1, lines: 1 }],
    },
    [
      {
        bench: 'scan',
        case: 'local',
        figures: { header_files_s: 12345.6 },
        ratios: { vs_full_decode: 61.2 },
        checksum: 'deadbeef',
        caveat: 'tiny',
      },
      { bench: 'latents', case: 'f16', ratios: { vs_raw_read: 0.5 }, bottleneck: 'unpickling on the main thread' },
    ],
  );
  for (const s of [
    'Test CPU × 2 cores',
    'abc1234',
    'npm run bench',
    '| local | 12346 | 61.2 | deadbeef |',
    '**PASS**',
    '`local`: tiny',
    '## Caveats',
    '- MISS: cached latents ≥ 0.8× raw read loop — `f16` measured 0.5.',
    'latents / `f16`: unpickling on the main thread',
  ]) {
    t.ok(md.includes(s), `contains ${s}`);
  }
});

t.test('run-all runs bench files as processes and writes RESULTS.md', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tf-bench-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'RESULTS.md');
  const env = { ...process.env, TUNEFEED_BENCH_NO_INSTALL: '1', TUNEFEED_CORPUS_DIR: path.join(dir, '.corpus') };
  const only = 'pil,test/fixtures/bench/failing.ts,no-such-bench';
  await run(
    process.execPath,
    ['--import', 'tsx', 'bench/run-all.ts', '--only', only, '--scale', 'tiny', '--out', out],
    { env, cwd: root },
  );
  const md = await readFile(out, 'utf8');
  const lines = (await readFile(path.join(dir, '.data/last-run.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as BenchLine);
  const pil = lines.find((l) => l.bench === 'pil')!;
  t.ok(pil, 'pil printed a line');
  t.type(pil.figures?.tunefeed_img_s, 'number');
  t.ok((pil.figures!.tunefeed_img_s as number) > 0);
  t.ok(pil.ratios && 'vs_pil' in pil.ratios, 'ratio against the baseline present (null if PIL is missing)');
  t.type(pil.checksum, 'object');
  t.ok(md.includes(`node --import tsx bench/run-all.ts --only ${only} --scale tiny`), 'exact command recorded');
  t.match(md, /\| test\/fixtures\/bench\/failing\.ts \| 3 \|/, 'failing bench recorded with its exit code');
  t.match(md, /fixture: simulated failure/);
  t.match(
    md,
    /\| bench\/no-such-bench\.ts \| – \| 0\.0 \| 0 \| [^|]+ \| [^|]+ \| file not present/,
    'absent bench recorded',
  );
  t.match(md, /slow consumer waits < 2 % after warm-up \| fixture slow consumer \| 0\.015/);
});

t.test(
  'every case with a tunefeed side is judged, even one its bench marks exempt or "for information only"',
  async (t) => {
    const lines: BenchLine[] = [
      { bench: 'latents', case: 'gzip', ratios: { vs_raw_read: 0.17 }, target_exempt: true },
      { bench: 'latents', case: 'plain', ratios: { vs_raw_read: 0.85 }, caveat: 'judged for information only' },
      {
        bench: 'prefetch',
        case: 'busy, pipeline on the main thread',
        figures: { wait_share: 0.04 },
        target_exempt: true,
      },
      { bench: 'prefetch', case: 'busy, no prefetch (decode on demand)', figures: { wait_share: 0.3 } },
    ];
    const rows = evaluateTargets(lines);
    const verdicts = rows.filter((r) => r.line).map((r) => `${r.line!.case}: ${r.verdict}`);
    t.same(
      verdicts.sort(),
      ['busy, pipeline on the main thread: MISS', 'gzip: MISS', 'plain: PASS'],
      'exempt-marked cases are judged; only the no-prefetch control is left out',
    );
  },
);

t.test('a ratio whose spread over rounds crosses the target is UNDECIDED and shows its min–max', async (t) => {
  const lines: BenchLine[] = [
    { bench: 'decode', case: 'crossing', ratios: { vs_raw_sharp: 0.93 }, spread: { vs_raw_sharp: [0.85, 1.01] } },
    { bench: 'decode', case: 'clear', ratios: { vs_raw_sharp: 0.97 }, spread: { vs_raw_sharp: [0.94, 1.02] } },
    { bench: 'decode', case: 'below', ratios: { vs_raw_sharp: 0.8 }, spread: { vs_raw_sharp: [0.78, 0.83] } },
  ];
  const rows = evaluateTargets(lines).filter((r) => r.target.bench === 'decode' && r.line);
  t.same(
    rows.map((r) => `${r.line!.case}: ${r.verdict}`),
    ['crossing: UNDECIDED', 'clear: PASS', 'below: MISS'],
  );
  const info = {
    date: 'd',
    command: 'c',
    commit: 'x',
    machine: { cpu: 'cpu', cores: 2, memoryGiB: 1, os: 'os' },
    versions: {},
    runs: [],
  };
  const md = renderResults(info, lines);
  t.ok(md.includes('| crossing | 0.93 (0.85–1.01) |'), 'the bench table shows the ratio with its spread');
  t.ok(md.includes('0.93 (0.85–1.01) (`vs_raw_sharp`) | **UNDECIDED** |'), 'the targets table shows it too');
  t.match(
    md,
    /- UNDECIDED: loader ≥ 0\.9× raw sharp loop, equal parallelism — `crossing` measured 0\.93, but its rounds/,
  );
});

t.test(
  'the memory note reports a fall in peak RSS as a fall, and growth in the JS heap as retained objects',
  async (t) => {
    t.equal(growthNote(0.4, 0.1), 'no growth');
    t.match(growthNote(-8.6, -0.01), /^peak RSS fell by 8\.6 MB .*nothing grows with the sample count/);
    t.notMatch(growthNote(-8.6, -0.01), /holds per-sample objects/, 'a fall is not blamed on the heap');
    t.match(growthNote(20, 15), /JS heap grew by 15\.0 MB of the 20\.0 MB: something there holds per-sample objects/);
    t.match(growthNote(20, 2), /changed by 2\.0 MB of the 20\.0 MB, so batches are not retained there/);
  },
);

t.test(
  '--update reruns the named bench files and keeps every other file from RESULTS.json with its own run',
  async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tf-bench-update-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const out = path.join(dir, 'RESULTS.md');
    const env = { ...process.env, TUNEFEED_BENCH_NO_INSTALL: '1', TUNEFEED_CORPUS_DIR: path.join(dir, '.corpus') };
    const [pass, fail] = ['test/fixtures/bench/passing.ts', 'test/fixtures/bench/failing.ts'];
    const runAll = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'bench/run-all.ts', ...args, '--out', out], { env, cwd: root });
    const records = async () =>
      (JSON.parse(await readFile(path.join(dir, 'RESULTS.json'), 'utf8')) as { records: RunRecord[] }).records;

    await runAll('--only', `${pass},${fail}`);
    const first = await records();
    t.same(
      first.map((r) => [r.file, r.results.length]),
      [
        [pass, 1],
        [fail, 1],
      ],
      'the data file holds each file with its lines',
    );
    await runAll('--update', '--only', fail);
    const second = await records();
    t.same(
      second.map((r) => r.file),
      [pass, fail],
      'both files kept, in their first order',
    );
    t.equal(second[0].date, first[0].date, 'the file not rerun keeps its run date');
    t.ok(second[1].date > first[1].date, 'the rerun file has the new run date');
    t.match(second[1].command, /--update --only test\/fixtures\/bench\/failing\.ts/, 'and the new command');
    const md = await readFile(out, 'utf8');
    t.match(md, /from 2 runs/, 'the header says the results come from two runs');
    t.match(md, /cached latents ≥ 0\.8× raw read loop \| fixture latents \| 0\.9 /, 'the kept line is still judged');
    t.match(md, new RegExp(`\\| ${pass.replace(/[./]/g, '\\$&')} \\| 0 \\| [0-9.]+ \\| 1 \\| ${first[0].date} `));

    await runAll('--only', fail);
    t.same(
      (await records()).map((r) => r.file),
      [fail],
      'without --update a run replaces the whole file',
    );
    t.match(await readFile(out, 'utf8'), /from one run/);
  },
);

t.test('mergeRecords replaces rerun files in place and appends new ones', async (t) => {
  const rec = (file: string, date: string): RunRecord => ({
    file,
    exitCode: 0,
    seconds: 1,
    date,
    commit: 'c',
    command: 'x',
    machine: { cpu: 'cpu', cores: 2, memoryGiB: 1, os: 'os' },
    versions: {},
    results: [],
  });
  const merged = mergeRecords([rec('a', '1'), rec('b', '1')], [rec('c', '2'), rec('a', '2')]);
  t.same(
    merged.map((r) => `${r.file}@${r.date}`),
    ['a@2', 'b@1', 'c@2'],
  );
});
