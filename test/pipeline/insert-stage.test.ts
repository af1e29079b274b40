// The prefetch thread's diagnostic insert seam imports nothing but an existing file: URL that exports a Duplex class.
import t from 'tap';
import { Duplex } from 'node:stream';
import { UsageError } from '../../lib/errors.js';
import { insertModulePath, loadInsertStage } from '../../lib/pipeline/insert-stage.js';
import { buildLoader } from '../../lib/pipeline/create-loader.js';
import { runtimeArgs } from '../../lib/pipeline/wire.js';
import { makeDataset } from '../helpers/runtime-dataset.js';

const HELPER = new URL('../helpers/ignores-backpressure.ts', import.meta.url).href;

t.test('specs other than an existing file: URL with an identifier export are refused with UsageError', async (t) => {
  const refused: [string, string, RegExp][] = [
    ['data:text/javascript,process.exit(9)', 'IgnoresBackpressure', /scheme data:/],
    ['http://127.0.0.1:1/stage.js', 'IgnoresBackpressure', /scheme http:/],
    ['node:fs', 'IgnoresBackpressure', /scheme node:/],
    ['ignores-backpressure', 'IgnoresBackpressure', /not a URL/],
    [new URL('../helpers/no-such-stage.ts', import.meta.url).href, 'X', /no such file/],
    [`${HELPER}?x=1`, 'IgnoresBackpressure', /a query or fragment/],
    [HELPER, 'constructor()', /export name/],
  ];
  for (const [module, name, why] of refused) {
    t.throws(() => insertModulePath({ module, name }), UsageError, `refused: ${module} ${name}`);
    t.throws(() => insertModulePath({ module, name }), why, `reason for ${module}: ${String(why)}`);
  }
  t.equal(insertModulePath({ module: HELPER, name: 'IgnoresBackpressure' }).endsWith('ignores-backpressure.ts'), true);
});

t.test('the loaded export must construct a Duplex', async (t) => {
  const stage = await loadInsertStage({ module: HELPER, name: 'IgnoresBackpressure' });
  t.ok(stage instanceof Duplex, 'the helper class builds a Duplex');
  stage.destroy();
  await t.rejects(loadInsertStage({ module: HELPER, name: 'NotExported' }), UsageError, 'a missing export is refused');
});

t.test('buildLoader refuses a data: URL spec before starting the prefetch thread', async (t) => {
  const ds = await makeDataset('ins', [4]);
  const spec = { module: 'data:text/javascript,export class S {}', name: 'S' };
  await t.rejects(
    buildLoader([ds], runtimeArgs(undefined, undefined), { batches: 2, thread: true }, async () => {}, spec),
    { name: 'UsageError', code: new UsageError('x').code },
  );
});
