// CSV index parsing: BOM, CRLF, quoting, ragged rows, missing columns, duplicates and hostile URL cells.
import t from 'tap';
import path from 'node:path';
import { readCsvIndex } from '../../lib/storage/csv-index.js';
import { CsvStorage } from '../../lib/storage/csv.js';
import { DataFileError, PathEscapeError } from '../../lib/errors.js';

t.test('BOM, CRLF, quoted commas and newlines, duplicates (last wins)', async (t) => {
  const dir = t.testdir({
    'a.csv':
      '\uFEFFid,url,caption\r\n1,http://h/a.png,"one, with comma"\r\n' +
      '2,http://h/b.png,"two\r\nlines"\r\n3,http://h/a.png,third\r\n',
  });
  const idx = await readCsvIndex(path.join(dir, 'a.csv'), 'url', 'caption', 'ds');
  t.same(
    [...idx.entries],
    [
      ['http://h/b.png', 'two\r\nlines'],
      ['http://h/a.png', 'third'],
    ],
  );
  t.equal(idx.rows, 3);
  t.equal(idx.duplicates, 1);
  t.same(idx.skipped, []);
});

t.test('structural problems name the file, row and column', async (t) => {
  const dir = t.testdir({
    'ragged.csv': 'url,caption\nhttp://h/a.png,ok\nhttp://h/b.png,too,many\n',
    'quote.csv': 'url,caption\nhttp://h/a.png,"unterminated\nhttp://h/b.png,fine\n',
    'badquote.csv': 'url,caption\nhttp://h/a.png,"closed"junk\n',
    'nocol.csv': 'link,caption\nhttp://h/a.png,x\n',
    'nocap.csv': 'url,text\nhttp://h/a.png,x\n',
  });
  const f = (n: string): string => path.join(dir, n);
  await t.rejects(readCsvIndex(f('ragged.csv'), 'url', 'caption', 'ds'), {
    code: 'TF_DATA_FILE',
    row: 3,
    message: /different number of fields.*dataset=ds.*ragged\.csv.*row=3/s,
  });
  const q = await readCsvIndex(f('quote.csv'), 'url', 'caption', 'ds').catch((e: unknown) => e);
  t.ok(q instanceof DataFileError, 'unterminated quote is a DataFileError');
  t.match((q as Error).message, /quote\.csv/);
  await t.rejects(readCsvIndex(f('badquote.csv'), 'url', 'caption', 'ds'), {
    code: 'TF_DATA_FILE',
    row: 2,
    message: /bad quoting/,
  });
  await t.rejects(readCsvIndex(f('nocol.csv'), 'url', 'caption', 'ds'), {
    field: 'csv_url_column',
    message: /no column "url"; columns are: "link", "caption"/,
  });
  await t.rejects(readCsvIndex(f('nocap.csv'), 'url', 'caption', 'ds'), {
    field: 'csv_caption_column',
    message: /no column "caption"/,
  });
  await t.rejects(readCsvIndex(f('missing.csv'), 'url', 'caption', 'ds'), { field: 'csv_file', message: /not found/ });
});

t.test('hostile URL cells are skipped with row and column, and refused as keys', async (t) => {
  const dir = t.testdir({
    'h.csv':
      'url,caption\n../../etc/passwd,a\n/etc/passwd,b\nfile:///etc/passwd,c\n,d\n' +
      'http://user:pw@h/x.png,e\nhttps://h/good.jpg,f\n',
  });
  const idx = await readCsvIndex(path.join(dir, 'h.csv'), 'url', 'caption', 'ds');
  t.same([...idx.entries.keys()], ['https://h/good.jpg']);
  t.same(
    idx.skipped.map((s) => [s.row, s.column]),
    [
      [2, 'url'],
      [3, 'url'],
      [4, 'url'],
      [5, 'url'],
      [6, 'url'],
    ],
  );
  t.match(idx.skipped[2].reason, /scheme file:/);
  const csvs = new CsvStorage({
    kind: 'csv',
    id: 'ds',
    csvFile: path.join(dir, 'h.csv'),
    cacheDir: path.join(dir, 'c'),
    urlColumn: 'url',
    captionColumn: 'caption',
  });
  t.teardown(() => csvs.close());
  for (const bad of ['../../etc/passwd', '/etc/passwd', 'file:///etc/passwd'])
    await t.rejects(csvs.read(bad), PathEscapeError, bad);
  t.match(await csvs.problems(), { duplicates: 0, skipped: { length: 5 } });
});
