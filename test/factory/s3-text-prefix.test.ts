// Where a text_embeds dataset on S3 keeps its files, as SimpleTuner's factory decides it: aws_data_prefix whenever
// the key is present ("" included), else cache_dir as written (an explicit "" is the bucket root, SimpleTuner's
// documented S3 example), else the training args' cache_dir_text.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../lib/config/load-config.js';
import { describeAws } from '../../lib/factory/describe.js';

const AWS = {
  type: 'aws',
  aws_bucket_name: 'embeds',
  aws_endpoint_url: 'http://127.0.0.1:9',
  aws_access_key_id: 'K',
  aws_secret_access_key: 'S',
};

async function textPrefix(dir: string, text: Record<string, unknown>, set: string[] = []): Promise<unknown> {
  const file = path.join(dir, `mdb-${Math.random().toString(36).slice(2)}.json`);
  const image = { id: 'img', type: 'local', instance_data_dir: dir, resolution: 64, train_batch_size: 1 };
  await writeFile(
    file,
    JSON.stringify([image, { ...AWS, id: 'te', dataset_type: 'text_embeds', default: true, ...text }]),
  );
  const loaded = await loadConfig(file, { checkPaths: false, set });
  const te = loaded.datasets.find((d) => d.id === 'te')!;
  const d = describeAws(te, { args: loaded.args, env: {} });
  return d.kind === 'aws' ? d.prefix : d.kind;
}

t.test("an S3 text_embeds dataset's key prefix follows SimpleTuner's cache_dir choice", async (t) => {
  const dir = t.testdir({});
  t.equal(await textPrefix(dir, { aws_data_prefix: 'cache/text/flux' }), 'cache/text/flux', 'aws_data_prefix');
  t.equal(
    await textPrefix(dir, { aws_data_prefix: '', cache_dir: '' }),
    '',
    'empty aws_data_prefix and cache_dir (the documented example): the bucket root',
  );
  t.equal(
    await textPrefix(dir, { aws_data_prefix: '', cache_dir: 'te/sdxl' }),
    '',
    'an empty aws_data_prefix wins over cache_dir: SimpleTuner reads the key whenever it is present',
  );
  t.equal(await textPrefix(dir, { cache_dir: '' }), '', 'an explicit empty cache_dir: the bucket root');
  t.equal(await textPrefix(dir, { cache_dir: 'te/sdxl' }), 'te/sdxl', 'cache_dir without a prefix');
  t.equal(
    await textPrefix(dir, {}, ['cache_dir_text=text-cache']),
    'text-cache',
    "neither key: the training args' cache_dir_text",
  );
});
