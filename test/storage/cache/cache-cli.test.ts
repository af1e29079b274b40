// `tunefeed cache stats|clear CONFIG`, the cache flags, and a dataset's `tunefeed_cache` in multidatabackend.json.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { parseBytes, cacheFromCli } from '../../../lib/cli/cache-options.js';
import { loadConfig } from '../../../lib/config/load-config.js';
import { describeAws } from '../../../lib/factory/describe.js';
import { createStorage } from '../../../lib/storage/from-description.js';
import { awsDescription } from '../../helpers/s3-server.js';
import { objects, serverWith } from './helpers.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'lib/cli/main.ts'];

async function configWith(cache: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tf-cache-cli-'));
  const file = path.join(dir, 'multidatabackend.json');
  const ds = {
    id: 'remote',
    type: 'aws',
    aws_bucket_name: 'test-bucket',
    aws_endpoint_url: 'http://127.0.0.1:9',
    aws_access_key_id: 'K',
    aws_secret_access_key: 'S',
    resolution: 64,
    ...(cache === undefined ? {} : { tunefeed_cache: cache }),
  };
  await writeFile(
    file,
    JSON.stringify([{ id: 'text', dataset_type: 'text_embeds', default: true, cache_dir: dir }, ds]),
  );
  return file;
}

t.test('byte flags accept plain counts and SI/IEC units; anything else names the flag', async (t) => {
  t.equal(parseBytes('cache-max-bytes', '1048576'), 1048576);
  t.equal(parseBytes('cache-max-bytes', '20GiB'), 20 * 1024 ** 3);
  t.equal(parseBytes('cache-max-bytes', '1.5 MB'), 1_500_000);
  t.throws(() => parseBytes('cache-max-bytes', '-3'), { code: 'TF_CLI_USAGE', message: /`--cache-max-bytes`.*`-3`/ });
  t.throws(() => parseBytes('cache-max-bytes', '3 parsecs'), { code: 'TF_CLI_USAGE' });
  t.equal(cacheFromCli({}), undefined, 'no flag: the config decides');
  t.same(cacheFromCli({ cacheDir: '/c', memoryCacheMaxBytes: '1KiB' }), { dir: '/c', memoryMaxBytes: 1024 });
});

t.test('a dataset turns the cache on with tunefeed_cache and its fields override the global options', async (t) => {
  const dir = path.join(os.tmpdir(), 'tf-cache-own');
  const loaded = await loadConfig(await configWith({ dir, max_bytes: 5000 }), { checkPaths: false });
  const ds = loaded.datasets.find((d) => d.id === 'remote')!;
  const env = { HOME: '/home/x' };
  const d = describeAws(ds, { args: loaded.args, env, cache: { maxBytes: 1, memoryMaxBytes: 7 } });
  t.match(d, { cache: { dir, maxBytes: 5000, memoryMaxBytes: 7, revalidateAfterMs: 600_000 } });
  const plain = await loadConfig(await configWith(undefined), { checkPaths: false });
  const p = plain.datasets.find((x) => x.id === 'remote')!;
  t.notOk('cache' in describeAws(p, { args: plain.args, env }), 'off without any cache option');
  t.match(describeAws(p, { args: plain.args, env, cache: { maxBytes: 9 } }), {
    cache: { dir: '/home/x/.cache/tunefeed/read-cache', maxBytes: 9 },
  });
  const off = await loadConfig(await configWith(false), { checkPaths: false });
  const o = off.datasets.find((x) => x.id === 'remote')!;
  t.notOk('cache' in describeAws(o, { args: off.args, env, cache: { maxBytes: 9 } }), 'tunefeed_cache: false wins');
});

t.test('a bad tunefeed_cache is a config error naming the dataset and the field', async (t) => {
  const loaded = await loadConfig(await configWith({ max_bytes: -1 }), { checkPaths: false });
  const ds = loaded.datasets.find((d) => d.id === 'remote')!;
  t.throws(() => describeAws(ds, { args: loaded.args, env: {} }), {
    code: 'TF_CONFIG_INVALID',
    message: /\(id=remote\) tunefeed_cache\.max_bytes: .*dataset=remote/s,
  });
});

t.test('cache stats reports the folder, its datasets and bytes; cache clear empties it', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tf-cache-stats-'));
  const srv = await serverWith(t, objects(3, 1000));
  const s = createStorage({
    ...awsDescription(srv),
    cache: { dir, maxBytes: 1 << 20, memoryMaxBytes: 0, revalidateAfterMs: 1000 },
  });
  t.teardown(() => s.close());
  for (const [k] of objects(3, 1000)) await s.read(k);
  const config = await configWith({ dir, max_bytes: 1 << 20 });
  const stats = await run(process.execPath, [...CLI, 'cache', 'stats', config, '--json']);
  const folders = (JSON.parse(stats.stdout) as { folders: { entries: number; bytes: number }[] }).folders;
  t.match(folders, [{ dir, datasets: ['remote'], entries: 3, maxBytes: 1 << 20 }]);
  t.ok(folders[0].bytes > 3000, 'bytes include the entry headers');
  const cleared = await run(process.execPath, [...CLI, 'cache', 'clear', config]);
  t.match(cleared.stdout, /0 entries, 0\.0 MiB of 1\.0 MiB/);
  const bad = await run(process.execPath, [...CLI, 'cache', 'show', config]).catch((e: { stderr: string }) => e);
  t.match(bad.stderr, /Expected stats or clear, got `show`/);
});
