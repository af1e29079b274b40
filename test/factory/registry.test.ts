// Builder registry: duplicates throw, unknown types list the known ones, a plug-in package is loaded by name or path.
import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BuilderRegistry, defaultRegistry, loadBuilderPlugin } from '../../lib/factory/registry.js';
import { createFactory } from '../../lib/factory/factory.js';
import { LocalBuilder } from '../../lib/factory/builders.js';
import { RegistryDuplicateError, RegistryLookupError } from '../../lib/errors.js';
import { defaultTrainingArgs } from '../../lib/config/training-args.js';
import type { LoadedConfig } from '../../lib/config/types.js';

const fixtures = fileURLToPath(new URL('../fixtures/factory/', import.meta.url));

t.test('registry discipline', async (t) => {
  const r = defaultRegistry();
  t.same(r.types, ['local', 'aws', 'csv', 'huggingface']);
  t.throws(() => r.register(new LocalBuilder()), RegistryDuplicateError);
  t.throws(() => r.get('webshart', 'ds1'), {
    code: 'TF_REGISTRY_UNKNOWN',
    message: /Unknown backend type: webshart\. Supported types: local, aws, csv, huggingface.*dataset=ds1/,
  });
  t.throws(() => new BuilderRegistry().register({} as never), RegistryLookupError);
  t.equal(new BuilderRegistry().register(new LocalBuilder()).get('local').type, 'local');
});

t.test('a third-party builder package plugs in by name or path', async (t) => {
  const byPath = await loadBuilderPlugin(path.join(fixtures, 'tunefeed-builder-memory'));
  t.equal(byPath[0].type, 'tunefeed-fixture-mem');
  // A consumer project with the plug-in installed (node_modules is made here: it is git-ignored).
  const consumer = t.testdir({
    node_modules: { 'tunefeed-builder-memory': t.fixture('symlink', path.join(fixtures, 'tunefeed-builder-memory')) },
  });
  const byName = await loadBuilderPlugin('tunefeed-builder-memory', consumer);
  t.equal(byName[0].type, 'tunefeed-fixture-mem', 'resolved as a package from a node_modules folder');
  await t.rejects(loadBuilderPlugin('no-such-builder-package', fixtures), {
    code: 'TF_REGISTRY_UNKNOWN',
    message: /Cannot find builder plug-in "no-such-builder-package"/,
  });

  const loaded = {
    args: { ...defaultTrainingArgs(), output_dir: '' },
    warnings: [],
    datasets: [
      {
        id: 'mem',
        type: 'tunefeed-fixture-mem',
        dataset_type: 'image',
        metadata_backend: 'discovery',
        text_embeds: null,
        image_embeds: null,
        objects: { 'b.txt': 'bee', 'a.txt': 'ay' },
      },
    ],
  } as unknown as LoadedConfig;
  const built = await createFactory(loaded, { plugins: ['tunefeed-builder-memory'], pluginsFrom: consumer }).build();
  const mem = built.get('mem')!;
  t.equal((await mem.storage.read('a.txt')).toString(), 'ay');
  t.same(built.metrics.backends.mem, {
    type: 'tunefeed-fixture-mem',
    group: 'data_backends',
    ms: built.metrics.backends.mem.ms,
    probe: { objects: 2 },
  });
  await built.close();
  t.equal((mem.storage as unknown as { closed: boolean }).closed, true, 'close() reaches plug-in storages');
  await t.rejects(createFactory(loaded).build(), {
    code: 'TF_REGISTRY_UNKNOWN',
    message: /Unknown backend type: tunefeed-fixture-mem/,
  });
});
