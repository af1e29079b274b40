// Buckets per model family equal SimpleTuner's: test/fixtures/model-buckets.json holds the target sizes
// SimpleTuner's own MultiaspectImage computes at each family's alignment (scripts/gen-model-buckets.py runs it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../lib/config/load-config.js';
import { maxCanvasSize } from '../../lib/config/model-geometry.js';
import { isImageDataset } from '../../lib/config/types.js';
import { geometryOptions } from '../../lib/metadata/build-index.js';
import { computeGeometry } from '../../lib/metadata/geometry.js';

interface Row {
  family: string;
  flavour: string | null;
  resolution: number;
  resolution_type: 'pixel' | 'pixel_area';
  original: [number, number];
  target: [number, number];
  aspect: number;
}

const rows = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'model-buckets.json'), 'utf8'),
) as Row[];
const groups = new Map<string, Row[]>();
for (const r of rows) {
  const k = `${r.family}${r.flavour ? ` (${r.flavour})` : ''} @ ${r.resolution} ${r.resolution_type}`;
  groups.set(k, [...(groups.get(k) ?? []), r]);
}

for (const [name, list] of groups)
  t.test(`${name}: target sizes and buckets equal SimpleTuner's`, async (t) => {
    const first = list[0];
    const loaded = await loadConfig(
      [
        { id: 'text', type: 'local', dataset_type: 'text_embeds', default: true, cache_dir: '/c/text' },
        { id: 'photos', type: 'local', instance_data_dir: '/d/photos', crop: false },
      ],
      {
        args: {
          model_family: first.family,
          model_flavour: first.flavour,
          resolution: first.resolution,
          resolution_type: first.resolution_type,
        },
        checkPaths: false,
        env: {},
      },
    );
    const d = loaded.datasets.filter(isImageDataset)[0];
    const o = geometryOptions(d, { maxCanvasSize: maxCanvasSize(first.family) });
    for (const r of list) {
      const m = computeGeometry(r.original, o, () => 0.5);
      t.same([m.target_size, m.aspect_ratio], [r.target, r.aspect], `${r.original.join('×')}`);
    }
  });
