// Hugging Face datasets: width/height columns give sizes without reading images; without them the bytes are probed.
import t from 'tap';
import path from 'node:path';
import { HuggingfaceStorage } from '../../lib/storage/huggingface.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { scanDataset } from '../../lib/metadata/scan.js';
import { hfDescription, makeRows, shardBytes, shardNames, writeHubCache } from '../fixtures/storage/hf-fixture.js';
import { datasetConfig } from '../helpers/scan-config.js';

const NAME = 'tunefeed/tiny-meta';
const REV = 'b'.repeat(40);

t.test('huggingface metadata backend: columns, else header probes of the row bytes', async (t) => {
  const rows = await makeRows(12);
  rows[4].image = null;
  const dir = t.testdir({});
  const hub = await writeHubCache(path.join(dir, 'hub'), NAME, REV, {
    [shardNames('train', 1)[0]]: shardBytes(rows, 5),
  });
  const desc = hfDescription(NAME, { cacheDir: path.join(dir, 'cache'), hubCache: hub, source: 'local' });
  const storage = new HuggingfaceStorage(desc);
  const cacheStorage = new LocalStorage({ id: 'hf', root: path.join(dir, 'meta') });
  const entry = {
    id: 'hf',
    type: 'huggingface',
    dataset_name: NAME,
    resolution: 64,
    resolution_type: 'pixel',
    metadata_backend: 'huggingface',
    caption_strategy: 'huggingface',
    huggingface: { width_column: 'width', height_column: 'height' },
  };
  const withCols = await datasetConfig(entry);
  const a = await scanDataset({ id: 'hf', config: withCols.config, storage, args: withCols.args, cacheStorage });
  t.equal(a.probed, 0, 'no image probed');
  t.equal(a.files, 12);
  t.same(a.index.metadata['3.jpg']?.original_size, [rows[3].width, rows[3].height]);
  const noCols = await datasetConfig({ ...entry, huggingface: {} });
  const b = await scanDataset({
    id: 'hf',
    config: noCols.config,
    storage,
    args: noCols.args,
    cacheStorage,
    ignoreCache: true,
  });
  t.equal(b.probed, 12, 'every row probed from its bytes');
  t.equal(
    Object.values(b.report.skipped).reduce((x, y) => x + y, 0),
    1,
    'the row without image bytes is skipped',
  );
  for (const i of [0, 3, 7, 11])
    t.same(b.index.metadata[`${i}.jpg`]?.original_size, [rows[i].width, rows[i].height], `row ${i} probed size`);
});
