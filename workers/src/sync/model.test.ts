import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { modelProperty, runSchedule, type Schedule } from "../testing/model.js";

/** Schedules per run: ≥ 2,000 in the unit phase (issue 14 §3); `npm run chaos -- --model N` runs more. */
const RUNS = Number(process.env.COEXIST_MODEL_RUNS ?? 2000);

/** Counterexamples found (seed, shrunk schedule), kept as regression cases. */
const REGRESSIONS: ReadonlyArray<{ readonly name: string; readonly schedule: Schedule }> = [
  {
    // Seed 1 (2,000 runs), shrunk: a snapshot image re-driven beside a later partial change was
    // merged with it into a full image at the partial's version, reverting notes b to a.
    name: "§1.1 a re-driven older image merged with a partial change reverts a column (seed 1)",
    schedule: {
      initial: [{ key: 3, status: "a", notes: "a" }],
      steps: [
        { t: "delete", key: 1 },
        { t: "update", key: 3, status: "a", notes: "b" },
        { t: "tick" },
        { t: "partial", key: 3, status: "a" },
        { t: "redrive", key: 3, back: 3 },
      ],
    },
  },
  {
    // Seed 1 (2,000 runs) with worker.ts processing each retry from a fresh batch (the §1.9
    // mutation): the poison record was dead-lettered once per failed attempt.
    name: "§1.9 a retried batch does not send its dead letters again (seed 1, mutation)",
    schedule: { initial: [{ key: 1, status: "a", notes: "a" }], steps: [{ t: "storeFail", n: 3 }, { t: "update", key: 1, status: "a", notes: "a" }, { t: "rebalance" }, { t: "poison", key: 1 }] },
  },
  {
    // Hand-written from the §1.8 reading, failing with the processor counting every attempt:
    // three store failures and two conflicting attempts (two collisions each: insert, then upsert) dead-lettered an insert.
    name: "§1.8 store failures do not spend a conflict's retries",
    schedule: { initial: [], steps: [{ t: "storeFail", n: 3 }, { t: "collide", key: 1, n: 4 }, { t: "insert", key: 1, status: "a", notes: "a" }] },
  },
];

/** Runs are deterministic (no timers: the worker's retry waits yield once), so one replay each. */
const REPLAYS = 1;

describe("the sync path against the model (generated schedules)", () => {
  for (const { name, schedule } of REGRESSIONS) {
    it(`regression: ${name}`, async () => {
      for (let i = 0; i < REPLAYS; i++) assert.deepEqual((await runSchedule(schedule)).problems, [], `replay ${i}`);
    });
  }

  it(`${RUNS} generated schedules: the read model equals the last PostgreSQL image per key`, async () => {
    const seed = Number(process.env.COEXIST_MODEL_SEED ?? Date.now() % 2 ** 31);
    const started = performance.now();
    console.log(`model: seed ${seed}, ${RUNS} schedules`);
    await fc.assert(modelProperty, { numRuns: RUNS, seed });
    console.log(`model: ${RUNS} schedules in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });
});
