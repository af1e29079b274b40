// The soak's checks have teeth (a duplicated or lost sample is counted), and a short soak through the real loader is
// clean.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import type { BenchLine } from '../../bench/results.js';
import { EpochLedger, expectedOrder } from '../../bench/soak.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const keys = new Map([['a', ['k0', 'k1', 'k2', 'k3']]]);

t.test('ledger: exactly once passes; a duplicate or a lost sample is a violation', async (t) => {
  const ok = new EpochLedger(keys, new Map([['a', 0]]));
  ok.add('a', 1, ['k2', 'k0']);
  ok.add('a', 1, ['k3', 'k1']);
  ok.add('a', 2, ['k1', 'k2']); // rollover closes epoch 1
  t.equal(ok.epochsChecked, 1);
  t.equal(ok.violations, 0);
  const dup = new EpochLedger(keys, new Map([['a', 0]]));
  dup.add('a', 1, ['k0', 'k1']);
  dup.add('a', 1, ['k1', 'k3']); // k1 twice, k2 never
  dup.closeAll();
  t.equal(dup.violations, 2);
  const repeats = new EpochLedger(keys, new Map([['a', 1]]));
  repeats.add('a', 1, ['k0', 'k1', 'k2', 'k3', 'k0', 'k1', 'k2', 'k3']);
  repeats.closeAll();
  t.equal(repeats.violations, 0, 'repeats: 1 means twice per epoch');
});

t.test('expected order walks the sampler: every epoch is a permutation of the keys', async (t) => {
  const next = expectedOrder([{ id: 'a', count: 4, probability: 1, repeats: 0 }], keys, 2);
  const epoch1 = [...next().keys, ...next().keys].sort();
  t.same(epoch1, ['k0', 'k1', 'k2', 'k3']);
  t.equal(next().epoch, 2);
});

t.test('short soak through createLoader: no mismatch, no violation, fds released', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tf-soak-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'bench/soak.ts', '--minutes', '0.05', '--samples', '3200', '--index', '256', '--step-ms', '1'],
    {
      cwd: root,
      env: { ...process.env, TUNEFEED_CORPUS_DIR: dir, TUNEFEED_LOG_LEVEL: 'warn' },
    },
  );
  const line = JSON.parse(stdout.trim().split('\n').pop()!) as BenchLine;
  const f = line.figures!;
  t.equal(line.bench, 'soak');
  t.equal(f.samples, 3200);
  t.equal(f.order_mismatches, 0);
  t.equal(f.exactly_once_violations, 0);
  t.ok((f.epochs_checked as number) >= 10, `epochs checked: ${f.epochs_checked}`);
  t.ok((f.fds_after_close as number) <= (f.fds_warm as number), 'no file descriptor left open after close');
  t.type(f.rss_over_time_mb, 'string');
});
