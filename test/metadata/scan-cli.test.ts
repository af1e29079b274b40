// Shard selection for `tunefeed scan`: --shard I/N, Kubernetes Indexed Job and AWS Batch array indices, bad values.
import t from 'tap';
import { shardFrom } from '../../lib/cli/scan.js';
import { inShard, parseShard } from '../../lib/metadata/scan-files.js';
import { UsageError } from '../../lib/errors.js';

t.test('shard sources', async (t) => {
  t.same(shardFrom({ shard: '2/5' }, {}), { index: 2, count: 5 });
  t.same(shardFrom({}, { JOB_COMPLETION_INDEX: '3', TUNEFEED_SHARD_COUNT: '8' }), { index: 3, count: 8 });
  t.same(shardFrom({ shardCount: '4' }, { AWS_BATCH_JOB_ARRAY_INDEX: '1' }), { index: 1, count: 4 });
  t.equal(shardFrom({}, { JOB_COMPLETION_INDEX: '3' }), undefined, 'no count: not sharded');
  t.throws(() => shardFrom({ shard: '5/5' }, {}), UsageError);
  t.throws(() => shardFrom({ shard: 'x' }, {}), /Expected `--shard` as I\/N/);
  t.throws(() => shardFrom({}, { JOB_COMPLETION_INDEX: '9', TUNEFEED_SHARD_COUNT: '4' }), UsageError);
  t.equal(parseShard('0/0'), null);
});

t.test('hash partition: disjoint, complete, balanced', async (t) => {
  const keys = Array.from({ length: 3000 }, (_, i) => `d${i % 7}/img${i}.jpg`);
  const counts = [0, 0, 0, 0];
  let notExactlyOne = 0;
  for (const k of keys) {
    const owners = [0, 1, 2, 3].filter((i) => inShard(k, { index: i, count: 4 }));
    if (owners.length !== 1) notExactlyOne++;
    else counts[owners[0]]++;
  }
  t.equal(notExactlyOne, 0, 'every key in exactly one shard');
  for (const c of counts) t.ok(c > 600 && c < 900, `balanced share ${c}`);
});
