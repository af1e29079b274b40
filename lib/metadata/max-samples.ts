// max_num_samples: a deterministic subset that depends on the dataset id and the key set, not on listing order.
import type { ObjectInfo } from '../storage/types.js';
import { stableHash32 } from './sample-rng.js';
import type { BucketReport } from './bucket-report.js';

/**
 * Keeps the `max` keys with the smallest sha256(id, key) rank. Like SimpleTuner's (sorted, seeded by id) it is
 * deterministic, order-independent and id-dependent; it is not bit-identical to Python's random.sample.
 */
export async function selectMaxSamples(
  source: AsyncIterable<ObjectInfo>,
  max: number,
  id: string,
  report: BucketReport,
): Promise<ObjectInfo[]> {
  const all: { rank: number; info: ObjectInfo }[] = [];
  for await (const info of source) all.push({ rank: stableHash32('max_num_samples', id, info.key), info });
  all.sort((a, b) => a.rank - b.rank || (a.info.key < b.info.key ? -1 : 1));
  const kept = all
    .slice(0, max)
    .map((x) => x.info)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  report.stage('max_num_samples', kept.length, { listed: all.length, max });
  return kept;
}
