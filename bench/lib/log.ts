/** Progress lines of the bench on stderr, stamped with the seconds since the bench started. */

const startedAt = Date.now();

/** benchStartedAt is when this process started the bench (ms since the epoch). */
export const benchStartedAt = startedAt;

/** elapsed returns the seconds since the bench started. */
export const elapsed = (): number => (Date.now() - startedAt) / 1000;

/** log writes one progress line to stderr. */
export const log = (message: string): void => { process.stderr.write(`[bench ${elapsed().toFixed(0).padStart(3)}s] ${message}\n`); };
