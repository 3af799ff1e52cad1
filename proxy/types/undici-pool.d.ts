/** Types of undici's Pool module, imported on its own (proxy/runtime.ts says why). */
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export default PoolClass;
}
