// SimpleTuner geometry vectors (reference §4.3), canvas limits, crop styles, crop_aspect modes, upscale threshold.
import t from 'tap';
import { computeGeometry, type GeometryOptions, pixelResolution } from '../../lib/metadata/geometry.js';
import { AspectResolutionMap, limitCanvasSize, sizeByPixelArea } from '../../lib/metadata/size-calculators.js';
import { sampleRng } from '../../lib/metadata/sample-rng.js';

function opts(over: Partial<GeometryOptions> = {}): GeometryOptions {
  return {
    resolution: 1024,
    resolutionType: 'pixel',
    alignment: 64,
    rounding: 2,
    crop: false,
    cropAspect: 'square',
    cropAspectBuckets: null,
    cropStyle: 'center',
    maxUpscaleThreshold: null,
    maximumImageSize: null,
    targetDownsampleSize: null,
    ...over,
  };
}
const rng = () => 0.5;

type Vec = [[number, number], [number, number], [number, number], number];
const pixelVectors: Vec[] = [
  [[1920, 1080], [1792, 1024], [1820, 1024], 1.75],
  [[1080, 1920], [1024, 1856], [1044, 1856], 0.55],
  [[1024, 1024], [1024, 1024], [1024, 1024], 1.0],
  [[3000, 2000], [1536, 1024], [1536, 1024], 1.5],
  [[832, 1216], [1024, 1536], [1050, 1536], 0.67],
  [[4000, 3000], [1344, 1024], [1365, 1024], 1.31],
];
const areaVectors: Vec[] = [
  [[1920, 1080], [1344, 768], [1365, 768], 1.75],
  [[1080, 1920], [768, 1344], [768, 1365], 0.57],
  [[1024, 1024], [1024, 1024], [1024, 1024], 1.0],
  [[3000, 2000], [1280, 832], [1280, 853], 1.54],
  [[832, 1216], [832, 1216], [832, 1216], 0.68],
  [[4000, 3000], [1152, 896], [1194, 896], 1.29],
];

t.test('pixel 1024 vectors', async (t) => {
  for (const [orig, target, inter, aspect] of pixelVectors) {
    const g = computeGeometry(orig, opts(), rng);
    t.same([g.target_size, g.intermediary_size, g.aspect_ratio], [target, inter, aspect], `${orig.join('x')}`);
  }
});

t.test('area 1.0 and 1.048576 vectors', async (t) => {
  for (const res of [1.0, 1.048576]) {
    for (const [orig, target, inter, aspect] of areaVectors) {
      const g = computeGeometry(
        orig,
        opts({ resolutionType: 'area', resolution: res, aspectMap: new AspectResolutionMap() }),
        rng,
      );
      t.same([g.target_size, g.intermediary_size, g.aspect_ratio], [target, inter, aspect], `${res} ${orig.join('x')}`);
    }
  }
});

t.test('area calculator at fine alignments and test_image.py targets', async (t) => {
  t.same(sizeByPixelArea(1.0, 1.0, [1024, 1024], 8, 2).target, [1000, 1000]);
  t.same(sizeByPixelArea(1.0, 1.0, [1024, 1024], 16, 2).target, [992, 992]);
  t.same(sizeByPixelArea(1.0, 1.048576, [1024, 1024], 8, 2).target, [1024, 1024]);
  t.same(sizeByPixelArea(1.0, 1.048576, [1024, 1024], 16, 2).target, [1024, 1024]);
  for (const orig of [
    [3911, 5476],
    [4539, 6527],
    [832, 1216],
  ] as [number, number][]) {
    const g = computeGeometry(orig, opts({ resolutionType: 'area', resolution: 1.0 }), rng);
    t.same(g.target_size, [832, 1216], orig.join('x'));
  }
  for (const e of [4000, 2000]) {
    t.same(computeGeometry([e, e], opts({ resolutionType: 'area', resolution: 1.0 }), rng).target_size, [1024, 1024]);
  }
  t.equal(
    pixelResolution(opts({ resolutionType: 'area', resolution: 1.0, alignment: 8 })),
    1024,
    'area snaps to 1024²',
  );
});

t.test('limit_canvas_size and MAXIMUM_CANVAS_SIZE', async (t) => {
  t.same(limitCanvasSize(2048, 1024, 2_000_000, 64), [1984, 960]);
  t.same(limitCanvasSize(1000, 1000, 2_000_000, 64), [1000, 1000]);
  const g = computeGeometry([2048, 2048], opts({ resolution: 2048, maxCanvasSize: 1024 * 1024, crop: true }), rng);
  t.same(g.target_size, [1024, 1024], 'square target limited to the canvas');
  const l = computeGeometry([3000, 2000], opts({ resolution: 1536, maxCanvasSize: 1024 * 1024 }), rng);
  t.ok(l.target_size[0] * l.target_size[1] <= 1024 * 1024, 'landscape target fits the canvas');
  t.equal(l.target_size[0] % 64, 0);
});

t.test('square crop: target pixel_res, aspect 1.0, crop styles', async (t) => {
  const base = { crop: true, cropAspect: 'square' as const };
  const c = computeGeometry([1920, 1080], opts({ ...base, cropStyle: 'center' }), rng);
  t.same(c.target_size, [1024, 1024]);
  t.equal(c.aspect_ratio, 1.0);
  t.same(c.intermediary_size, [1820, 1024]);
  t.same(c.crop_coordinates, [0, 398], 'center: left=(1820-1024)/2');
  t.same(computeGeometry([1920, 1080], opts({ ...base, cropStyle: 'corner' }), rng).crop_coordinates, [0, 0]);
  const r1 = computeGeometry([1920, 1080], opts({ ...base, cropStyle: 'random' }), sampleRng(1, 'a'));
  const r2 = computeGeometry([1920, 1080], opts({ ...base, cropStyle: 'random' }), sampleRng(1, 'a'));
  t.same(r1.crop_coordinates, r2.crop_coordinates, 'seeded random is reproducible');
  t.ok(
    r1.crop_coordinates[1] >= 0 && r1.crop_coordinates[1] <= 796 && r1.crop_coordinates[0] === 0,
    'real offset in range',
  );
  const seen = new Set<number>();
  for (let i = 0; i < 20; i++)
    seen.add(computeGeometry([1920, 1080], opts({ ...base, cropStyle: 'random' }), sampleRng(i)).crop_coordinates[1]);
  t.ok(seen.size > 10, 'random offsets vary across samples');
  const warnings: string[] = [];
  const f = computeGeometry(
    [1920, 1080],
    opts({ ...base, cropStyle: 'face', onWarning: (m) => warnings.push(m) }),
    sampleRng(3),
  );
  t.ok(f.crop_coordinates[1] <= 796);
  t.match(warnings[0], /falls back to random/);
});

t.test('crop_aspect closest / random / preserve', async (t) => {
  const closest = computeGeometry(
    [1920, 1080],
    opts({ crop: true, cropAspect: 'closest', cropAspectBuckets: [1.0, 1.5, 0.75] }),
    rng,
  );
  t.equal(closest.aspect_ratio, 1.5);
  t.same(closest.target_size, [1536, 1024]);
  const dicts = [
    { aspect: 1.0, weight: 0.5 },
    { aspect: 0.75, weight: 0.5 },
  ];
  t.equal(
    computeGeometry([1920, 1080], opts({ crop: true, cropAspect: 'closest', cropAspectBuckets: dicts }), rng)
      .aspect_ratio,
    1.0,
  );
  const r = computeGeometry(
    [1920, 1080],
    opts({ crop: true, cropAspect: 'random', cropAspectBuckets: dicts }),
    () => 0.7,
  );
  t.equal(r.aspect_ratio, 0.75, 'weighted choice past the first half');
  t.throws(
    () =>
      computeGeometry(
        [1920, 1080],
        opts({ crop: true, cropAspect: 'random', cropAspectBuckets: [{ aspect: 1, weight: 0.3 }] }),
        rng,
      ),
    /add up to 1/,
  );
  const p = computeGeometry([1920, 1080], opts({ crop: true, cropAspect: 'preserve' }), rng);
  t.equal(p.aspect_ratio, 1.75);
});

t.test('max_upscale_threshold filters random float buckets (working)', async (t) => {
  const warnings: string[] = [];
  const o = opts({
    crop: true,
    cropAspect: 'random',
    cropAspectBuckets: [1.0, 2.0],
    maxUpscaleThreshold: 0.1,
    onWarning: (m) => warnings.push(m),
  });
  // 1100x1000: bucket 2.0 needs a 2048-wide target (too much upscale); 1.0 needs 1024x1024 (fits within 10 %).
  for (let i = 0; i < 10; i++) t.equal(computeGeometry([1100, 1000], o, sampleRng(i)).aspect_ratio, 1.0);
  const g = computeGeometry([300, 300], o, rng);
  t.equal(g.aspect_ratio, 1.0, 'nothing fits → square');
  t.match(warnings[0], /do not fit/);
});

t.test('invalid dimensions are rejected', async (t) => {
  t.throws(() => computeGeometry([0, 10], opts(), rng), /Invalid image dimensions: \(0, 10\)/);
});

t.test('area consistency map reuses the first target per aspect', async (t) => {
  const map = new AspectResolutionMap();
  computeGeometry([1920, 1080], opts({ resolutionType: 'area', resolution: 1.0, aspectMap: map }), rng);
  t.same(map.toJSON(1.0)['1.75'], [1344, 768]);
  map.load(1.0, { '1.5': [1216, 832] });
  const g = computeGeometry([3000, 2000], opts({ resolutionType: 'area', resolution: 1.0, aspectMap: map }), rng);
  t.same(g.target_size, [1280, 832], 'own aspect 1.54 is not the stored 1.5');
});
