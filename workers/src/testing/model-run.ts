/**
 * `npm run chaos -- --model N [--seed S]`: N more generated schedules of the model test
 * (testing/model.ts) with a printed seed. Prints one JSON line on stdout; exits 1 on a
 * counterexample (fast-check's report, with the seed and the shrunk schedule, on stderr).
 */
import fc from "fast-check";
import { modelProperty } from "./model.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

const runs = Number(arg("--model") ?? "");
const seedArg = arg("--seed");
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--model needs a positive number of schedules (got ${JSON.stringify(arg("--model"))}); e.g. npm run chaos -- --model 20000 [--seed 42]`);
  process.exit(2);
}
const seed = seedArg === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(seedArg);
if (!Number.isInteger(seed)) {
  console.error(`--seed must be an integer (got ${JSON.stringify(seedArg)})`);
  process.exit(2);
}
console.error(`model: seed ${seed}, ${runs} schedules`);
const started = performance.now();
const details = await fc.check(modelProperty, { numRuns: runs, seed });
const seconds = Number(((performance.now() - started) / 1000).toFixed(1));
console.log(JSON.stringify({ model: { seed, schedules: details.numRuns, seconds, failed: details.failed } }));
if (details.failed) {
  console.error(fc.defaultReportMessage(details));
  process.exit(1);
}
