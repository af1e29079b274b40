// Config versioning keys (reference §3.8): ignored and runtime-mutable keys never make a cache stale.
import t from 'tap';
import { CONFIG_VERSION, RUNTIME_MUTABLE_KEYS, configDifferences } from '../../lib/config/versioning.js';

t.test('differences skip ignored, runtime-mutable and missing keys', async (t) => {
  const cached = {
    config_version: 2,
    resolution: 1,
    crop: false,
    probability: 0.5,
    train_batch_size: 2,
    repeats: 4,
    crop_aspect_buckets: [1, 1.5],
    gone: 3,
  };
  const live = {
    resolution: 1.048576,
    crop: false,
    probability: 1,
    train_batch_size: 8,
    repeats: 0,
    crop_aspect_buckets: [1, 1.5],
  };
  t.same(configDifferences(cached, live), [{ key: 'resolution', cached: 1, live: 1.048576 }]);
  t.same(configDifferences(live, live), []);
  t.equal(CONFIG_VERSION, 2);
  t.same([...RUNTIME_MUTABLE_KEYS].sort(), [
    'end_epoch',
    'end_step',
    'repeats',
    'start_epoch',
    'start_step',
    'train_batch_size',
  ]);
});
