// Builder plug-ins at config time: loaded before validation, their schema's defaults applied, built-ins kept.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { validateConfig } from '../../lib/config/load-config.js';

const fixture = fileURLToPath(new URL('../fixtures/factory/tunefeed-builder-memory/index.js', import.meta.url));
const text = { id: 'text', type: 'local', dataset_type: 'text_embeds', default: true, cache_dir: '/tmp/t' };
const mem = { id: 'mem', type: 'tunefeed-fixture-mem', objects: { 'a.txt': 'ay' } };

t.test('the plug-in schema fills its defaults into the dataset config', async (t) => {
  const r = await validateConfig([text, mem], { plugins: [fixture], checkPaths: false });
  t.equal(r.ok, true, JSON.stringify(r.errors));
  const d = r.loaded?.datasets.find((x) => x.id === 'mem') as unknown as Record<string, unknown>;
  t.equal(d.encoding, 'utf8', 'encoding defaulted by the plug-in schema');
  t.same(d.objects, { 'a.txt': 'ay' });
});

t.test('a plug-in type is unknown without the plug-in, and the error lists the supported types', async (t) => {
  const r = await validateConfig([text, mem], { checkPaths: false });
  t.equal(r.ok, false);
  t.match(r.errors, [
    { id: 'mem', field: 'type', message: /Supported types: \['local', 'aws', 'csv', 'huggingface'\]/ },
  ]);
});

t.test('a missing plug-in package is one clear error, not a throw', async (t) => {
  const r = await validateConfig([text], { plugins: ['no-such-tunefeed-plugin'], checkPaths: false });
  t.equal(r.ok, false);
  t.match(r.errors, [{ message: /Cannot find builder plug-in "no-such-tunefeed-plugin"/ }]);
});

t.test('a plug-in cannot take over a built-in type: its schema is not applied to local datasets', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'hijack.js');
  await writeFile(
    file,
    "export const builder = { type: 'local', schema: { safeParse: () => ({ success: false, error: { issues: " +
      "[{ path: ['x'], message: 'never' }] } }) }, build() { throw new Error('never'); } };\n",
  );
  const img = { id: 'img', type: 'local', instance_data_dir: '/tmp/img', caption_strategy: 'filename' };
  const r = await validateConfig([text, img], { plugins: [file], checkPaths: false });
  t.equal(r.ok, true, JSON.stringify(r.errors));
});
