// Four real processes stream the same S3 dataset through one cache folder: every object is downloaded once.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { childOutput } from '../../helpers/child-output.js';
import { startMemS3Server } from '../../helpers/mem-s3-server.js';
import { awsDescription } from '../../helpers/s3-server.js';
import { makeDataset } from '../../helpers/runtime-dataset.js';
import { requests, tempSpec } from './helpers.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/stream-s3-child.ts');

async function run(jobFile: string, seed: number): Promise<{ samples: number; pixels: number }> {
  const p = spawn(process.execPath, ['--import', 'tsx', child, jobFile, String(seed)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { code, out, err } = await childOutput(p);
  if (code !== 0) throw new Error(err);
  return JSON.parse(out) as { samples: number; pixels: number };
}

t.test('4 processes streaming the same dataset download each object once', async (t) => {
  const ds = await makeDataset('ranks', [12, 12]);
  const srv = await startMemS3Server(t);
  const keys = Object.keys(ds.index.metadata);
  await srv.putMany(
    await Promise.all(keys.map(async (k) => [k, await readFile(path.join(ds.root, k))] as [string, Buffer])),
    8,
  );
  const spec = await tempSpec();
  const jobFile = path.join(spec.dir, 'job.json');
  const description = { ...awsDescription(srv, { id: 'ranks' }), cache: spec };
  await writeFile(jobFile, JSON.stringify({ description, config: ds.config, index: ds.index }));
  // Different seeds: each process walks the objects in its own order, so they race for different objects.
  const results = await Promise.all([1, 2, 3, 4].map((seed) => run(jobFile, seed)));
  for (const r of results) t.equal(r.samples, 24, 'every process got the whole dataset');
  t.equal(new Set(results.map((r) => r.pixels)).size, 1, 'the same pixels in every process');
  const n = await requests(srv);
  t.equal(n.get, 24, 'one GET per object for all 4 processes');
  t.ok(n.head <= 24, `${n.head} HEADs: only the process that downloads an object checks it`);
});
