import { failed, runScenario, type SimulationResult } from './run.js';
import type { Scenario } from './scenario.js';

/**
 * Shrinks a failing scenario by delta debugging: removes chunks of its
 * schedule while the run still fails, so that the trace shows only what
 * matters. Bounded by `maxRuns` replays.
 */
export async function shrinkScenario(scenario: Scenario, maxRuns = 60): Promise<{ scenario: Scenario; result: SimulationResult; runs: number }> {
  let best = scenario;
  let bestResult = await runScenario(scenario);
  let runs = 1;
  if (!failed(bestResult)) return { scenario, result: bestResult, runs };
  let chunk = Math.max(1, Math.floor(best.actions.length / 2));
  while (chunk >= 1 && runs < maxRuns) {
    let removedAny = false;
    for (let start = 0; start < best.actions.length && runs < maxRuns; ) {
      const candidate: Scenario = { ...best, actions: [...best.actions.slice(0, start), ...best.actions.slice(start + chunk)] };
      const result = await runScenario(candidate);
      runs++;
      if (failed(result)) {
        best = candidate;
        bestResult = result;
        removedAny = true;
      } else {
        start += chunk;
      }
    }
    if (!removedAny) chunk = Math.floor(chunk / 2);
  }
  return { scenario: best, result: bestResult, runs };
}
