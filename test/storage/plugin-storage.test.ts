// Plug-in storage descriptions: the module is imported by path on demand, then createStorage rebuilds the client.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createStorage, loadStoragePlugin } from '../../lib/storage/from-description.js';
import type { BackendDescription } from '../../lib/storage/types.js';

const fixture = fileURLToPath(new URL('../fixtures/factory/tunefeed-builder-memory/index.js', import.meta.url));

t.test(
  'a description naming the plug-in module rebuilds its storage, which describes itself the same way',
  async (t) => {
    const desc: BackendDescription = {
      kind: 'plugin',
      id: 'mem',
      plugin: fixture,
      type: 'tunefeed-fixture-mem',
      data: { objects: { 'a.txt': 'YXk=' }, encoding: 'base64' },
    };
    t.throws(() => createStorage(desc), {
      code: 'TF_REGISTRY_UNKNOWN',
      message: /cannot rebuild the storage of dataset mem/,
    });
    await loadStoragePlugin(desc);
    const s = createStorage(desc);
    t.equal((await s.read('a.txt')).toString(), 'ay');
    t.same(s.describe(), desc, 'describe() hands on the plug-in description (what threads receive)');
    const listed = [];
    for await (const o of s.list()) listed.push(o);
    t.same(listed, [{ key: 'a.txt', size: 2 }]);
  },
);

t.test('a plug-in module that cannot be loaded, or cannot rebuild in a thread, is a coded error', async (t) => {
  const dir = t.testdir({});
  const missing: BackendDescription = { kind: 'plugin', id: 'x', plugin: join(dir, 'gone.js'), type: 't', data: {} };
  await t.rejects(loadStoragePlugin(missing), { code: 'TF_REGISTRY_UNKNOWN', message: /Cannot load builder plug-in/ });
  const file = join(dir, 'no-from.js');
  await writeFile(file, "export const builder = { type: 't', build() {} };\n");
  await t.rejects(loadStoragePlugin({ ...missing, plugin: file }), {
    code: 'TF_REGISTRY_UNKNOWN',
    message: /has no `fromDescription` for type "t"/,
  });
});
