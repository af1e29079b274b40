// A metadata scan over S3 through the fault proxy gives exactly the index and counts of a fault-free scan.
import t from 'tap';
import { S3Storage } from '../../lib/storage/s3.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { scanDataset } from '../../lib/metadata/scan.js';
import { datasetConfig } from '../helpers/scan-config.js';
import { encodeImage, type MakeFormat } from '../helpers/make-images.js';
import { awsDescription, startS3Server } from '../helpers/s3-server.js';
import { startFaultProxy, type Fault, type ProxiedRequest } from '../helpers/fault-proxy.js';

/** SlowDown bursts, 500s, resets, bodies cut mid-way and latency spikes on a fixed share of requests. */
function chaos(r: ProxiedRequest): Fault {
  if (r.n % 23 < 2) return { kind: 'slowdown' };
  if (r.n % 7 === 3) return { kind: 'reset' };
  if (r.n % 11 === 5) return { kind: 'truncate', fraction: 0.3 };
  if (r.n % 13 === 6) return { kind: 'status', status: 500 };
  if (r.n % 17 === 9) return { kind: 'delay', ms: 120 };
  return { kind: 'pass' };
}

t.test('scan over faulty S3 equals scan over clean S3', async (t) => {
  const srv = await startS3Server(t, { bucket: 'scan-bucket' });
  const formats: MakeFormat[] = ['jpeg', 'png', 'webp'];
  const objects = await Promise.all(
    Array.from({ length: 24 }, async (_, i) => {
      const [w, h] = [
        [192, 108],
        [100, 100],
        [108, 192],
      ][i % 3];
      const format = formats[i % 3];
      const ext = format === 'jpeg' ? 'jpg' : format;
      return [`data/${['a', 'b', 'c'][i % 3]}dir/img${i}.${ext}`, await encodeImage({ w: w + i, h: h, format })] as [
        string,
        Buffer,
      ];
    }),
  );
  await srv.putMany([...objects, ['data/broken.jpg', Buffer.from('not a jpeg at all')]]);
  const proxy = await startFaultProxy(t, srv.endpoint, chaos);
  const { config, args } = await datasetConfig({
    id: 's3scan',
    instance_data_dir: 'data',
    resolution: 256,
    resolution_type: 'pixel',
    crop: true,
    crop_aspect: 'preserve',
    train_batch_size: 1,
  });
  const scan = async (endpoint: string, dir: string) => {
    const storage = new S3Storage(
      awsDescription(srv, { id: 's3scan', prefix: 'data', endpoint, maxAttempts: 8, retryBaseDelayMs: 2 }),
    );
    t.teardown(() => storage.close());
    return scanDataset({
      id: 's3scan',
      config,
      storage,
      args,
      cacheStorage: new LocalStorage({ id: 's3scan', root: dir }),
    });
  };
  const clean = await scan(srv.endpoint, t.testdir({}));
  const faulty = await scan(proxy.url, t.testdir({}));
  t.equal(clean.files, 25);
  t.same(faulty.index, clean.index, 'identical buckets and metadata');
  t.same(faulty.report.skipped, clean.report.skipped, 'identical skip counts');
  t.same(faulty.files, clean.files);
  t.ok(
    proxy.stats.requests > 25 && (proxy.stats.faults.slowdown ?? 0) + (proxy.stats.faults.reset ?? 0) > 3,
    `faults injected: ${JSON.stringify(proxy.stats.faults)}`,
  );
});
