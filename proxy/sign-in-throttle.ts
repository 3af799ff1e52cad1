/**
 * A bound on failed dashboard sign-ins per client address: after `max` failures within `windowMs`, further attempts
 * from that address are refused until the window has passed. Tokens are long and compared in constant time, so this
 * is not what keeps them secret; it keeps a script from hammering the form. Memory is bounded: at most `addresses`
 * addresses are tracked, the oldest forgotten first.
 */

/** SignInThrottle counts failures and tells whether an address may try again. */
export interface SignInThrottle {
  allowed(address: string): boolean;
  failed(address: string): void;
  succeeded(address: string): void;
}

/** createSignInThrottle returns a throttle; `now` is injectable. */
export function createSignInThrottle(options: { max: number; windowMs: number; addresses?: number; now?: () => number }): SignInThrottle {
  const now = options.now ?? Date.now;
  const limit = options.addresses ?? 10_000;
  // address → failure times within the window (at most max kept).
  const failures = new Map<string, number[]>();
  const recent = (address: string): number[] => {
    const since = now() - options.windowMs;
    const list = (failures.get(address) ?? []).filter((at) => at > since);
    if (list.length === 0) failures.delete(address);
    else failures.set(address, list);
    return list;
  };
  return {
    allowed: (address) => recent(address).length < options.max,
    failed(address) {
      const list = recent(address);
      list.push(now());
      if (list.length > options.max) list.shift();
      failures.delete(address);
      failures.set(address, list);
      while (failures.size > limit) failures.delete(failures.keys().next().value!);
    },
    succeeded: (address) => { failures.delete(address); },
  };
}
