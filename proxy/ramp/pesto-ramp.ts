/**
 * PESTO_DEMO_RAMP is the ramp `npm run demo -- --ramp` and the Pesto ramp test give both Pesto routes: a shadow bake,
 * half, everything, with gates sized for a demo's traffic (tens of requests a step, not thousands) and no minimum
 * time beyond one evaluation — a production ramp keeps the schema's defaults (minutes per step, 100 requests).
 */
export const PESTO_DEMO_RAMP = {
  steps: [0, 50, 100],
  minStepMs: 0,
  gates: {
    errorRate: { maxIncrease: 0.05, minRequests: 10 },
    // A laptop running six services and figway is noisy: a p99 from tens of requests only fails when it is far off.
    latencyP99: { maxRatio: 5, slackMs: 250, minRequests: 10 },
    unexpectedDifferences: { maxRate: 0.02, minComparisons: 20 },
    coverage: { min: 0.8, minSampled: 20 },
  },
};
