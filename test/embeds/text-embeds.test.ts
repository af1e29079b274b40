// Text-embed caches found by SimpleTuner's md5 names and read through a real LocalStorage.
import t from 'tap';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbedFormatError, NotFoundError } from '../../lib/errors.js';
import { textEmbedCacheKey } from '../../lib/embeds/cache-keys.js';
import { missingTextEmbeds, readTextEmbed, textEmbedTensors } from '../../lib/embeds/text-embeds.js';
import { readTorchFile } from '../../lib/embeds/torch-file.js';
import { LocalStorage } from '../../lib/storage/local.js';

const fixtures = fileURLToPath(new URL('../fixtures/embeds/', import.meta.url));

t.test('read by caption, list what is missing', async (t) => {
  const root = t.testdir({});
  mkdirSync(path.join(root, 'text'));
  copyFileSync(`${fixtures}text-embeds.pt`, path.join(root, 'text', textEmbedCacheKey('a photo of a cat', 'flux')));
  copyFileSync(`${fixtures}malicious-system.pt`, path.join(root, 'text', textEmbedCacheKey('evil', 'flux')));
  const storage = new LocalStorage({ id: 'text-cache', root });
  const e = await readTextEmbed(storage, 'a photo of a cat', 'flux', { prefix: 'text' });
  t.same(Object.keys(e).sort(), ['attention_masks', 'pooled_prompt_embeds', 'prompt_embeds']);
  t.same(e.prompt_embeds.shape, [1, 7, 8]);
  t.equal(e.pooled_prompt_embeds.dtype, 'float16');
  await t.rejects(readTextEmbed(storage, 'a photo of a dog', 'flux', { prefix: 'text' }), NotFoundError);
  await t.rejects(
    readTextEmbed(storage, 'a photo of a cat', 'sdxl', { prefix: 'text' }),
    NotFoundError,
    'model family is part of the name',
  );
  const evil = await readTextEmbed(storage, 'evil', 'flux', { prefix: 'text' }).catch((err: unknown) => err);
  t.ok(evil instanceof EmbedFormatError);
  t.match((evil as Error).message, /posix\.system/);
  const missing = await missingTextEmbeds(
    storage,
    ['a photo of a cat', 'a photo of a dog', 'a photo of a dog'],
    'flux',
    { prefix: 'text' },
  );
  t.same(missing, ['a photo of a dog'], 'deduplicated');
});

t.test('file shapes: dict, tuple/list, bare tensor', async (t) => {
  const list = textEmbedTensors(readTorchFile(readFileSync(`${fixtures}dtypes.pt`)));
  t.same(Object.keys(list), ['0', '1', '2', '3', '4']);
  const bare = textEmbedTensors(readTorchFile(readFileSync(`${fixtures}latent-f32.pt`)));
  t.same(Object.keys(bare), ['prompt_embeds']);
  t.throws(() => textEmbedTensors({ a: 1 }), EmbedFormatError);
});
