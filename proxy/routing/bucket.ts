/** BUCKETS is the number of sticky buckets; weight w (percent) sends buckets [0, w×100) to new. */
export const BUCKETS = 10_000;

/**
 * bucketOf hashes (salt, key) to a bucket 0..9999: FNV-1a over UTF-16 code units, then murmur3's fmix32 so that
 * similar keys spread evenly. Pure and stable across processes and versions: changing it reshuffles every client.
 */
export function bucketOf(salt: string, key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < salt.length; i++) {
    hash ^= salt.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= 0xff; // separator, so ("ab","c") and ("a","bc") differ
  hash = Math.imul(hash, 0x01000193);
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % BUCKETS;
}

/** thresholdOf turns a weight in percent (0–100, steps of 0.01) into the bucket bound: bucket < threshold → new. */
export function thresholdOf(weightPercent: number): number {
  return Math.min(BUCKETS, Math.max(0, Math.round(weightPercent * 100)));
}
