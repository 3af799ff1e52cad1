/**
 * createCounterSampler samples by counting, not by drawing (as Traefik's mirroring does): at rate r, request n is
 * taken when floor(n·r) moves, so exactly 10 of every 100 are mirrored at 0.1 and tests can assert exact counts.
 */
export function createCounterSampler(rate: number): () => boolean {
  let seen = 0;
  return () => {
    if (rate >= 1) return true;
    if (rate <= 0) return false;
    const before = Math.floor(seen * rate);
    seen++;
    return Math.floor(seen * rate) > before;
  };
}
