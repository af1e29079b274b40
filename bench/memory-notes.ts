// The memory bench's note on where peak-RSS change between two sizes sits (JS heap, elsewhere, or a fall).

/** Where growth from the middle to the largest size sits; a fall in RSS is reported as a fall, not as growth. */
export function growthNote(rssGrowth: number, heapGrowth: number): string {
  const mb = (x: number): string => `${x.toFixed(1)} MB`;
  if (Math.abs(rssGrowth) < 1) return 'no growth';
  if (rssGrowth < 0)
    return (
      `peak RSS fell by ${mb(-rssGrowth)} (JS heap after a full GC changed by ${mb(heapGrowth)}): ` +
      'nothing grows with the sample count'
    );
  if (heapGrowth > rssGrowth / 2)
    return (
      `the main thread's JS heap grew by ${mb(heapGrowth)} of the ${mb(rssGrowth)}: ` +
      'something there holds per-sample objects'
    );
  return (
    `the main thread's JS heap (after a full GC) changed by ${mb(heapGrowth)} of the ${mb(rssGrowth)}, so batches ` +
    "are not retained there; the rest is native memory or the heaps of the loader's worker threads (prefetch and " +
    'decode), which RSS includes and this probe cannot see'
  );
}
