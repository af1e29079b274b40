// Atomic writes under disk faults: a full disk (tiny tmpfs) and a read-only cache dir give clear errors, no part files.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalStorage } from '../../lib/storage/local.js';
import { StorageError } from '../../lib/errors.js';
import { tmpfs, tmpfsSkip } from '../helpers/tmpfs.js';

t.test('disk full: ENOSPC named, old content kept, no temp file left', { skip: tmpfsSkip }, async (t) => {
  const dir = tmpfs(t, 'size=64k');
  const s = new LocalStorage({ id: 'cache', root: dir });
  await s.write('aspect_ratio_bucket_indices_x.json', '{"old":true}');
  const err = await s.write('aspect_ratio_bucket_indices_x.json', Buffer.alloc(256 * 1024, 1)).catch((e: unknown) => e);
  t.ok(err instanceof StorageError, 'coded StorageError');
  t.match((err as Error).message, /ENOSPC.*dataset=cache.*aspect_ratio_bucket_indices_x\.json/s);
  t.equal(
    await readFile(path.join(dir, 'aspect_ratio_bucket_indices_x.json'), 'utf8'),
    '{"old":true}',
    'readers still see the old file',
  );
  t.same(readdirSync(dir), ['aspect_ratio_bucket_indices_x.json'], 'no partial or temp file');
  await t.rejects(s.write('sub/new.json', Buffer.alloc(256 * 1024)), { code: 'TF_STORAGE' });
  t.same(readdirSync(path.join(dir, 'sub')), [], 'nothing left in a new directory either');
});

t.test('read-only cache directory: EROFS named, nothing written', { skip: tmpfsSkip }, async (t) => {
  const dir = tmpfs(t, 'size=64k,ro');
  const s = new LocalStorage({ id: 'cache', root: dir });
  await t.rejects(s.write('x.json', '{}'), { code: 'TF_STORAGE', message: /EROFS/ });
  t.same(readdirSync(dir), []);
});
