// shadow-report/types.ts names Node's Buffer in capture-side types the browser never receives; for the browser's
// type-check of the summary types it is just bytes.
type Buffer = Uint8Array;
