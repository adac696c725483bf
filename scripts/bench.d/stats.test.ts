import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cpuPerThousand, lagSummary, quantile, ratio, rowsPerSecond } from "./stats";

describe("bench arithmetic", () => {
  it("takes nearest-rank quantiles", () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual([quantile(v, 0.5), quantile(v, 0.95), quantile(v, 0.99), quantile(v, 1)], [50, 95, 99, 100]);
    assert.equal(quantile([7], 0.99), 7);
    assert.throws(() => quantile([], 0.5), /no values/);
  });

  it("measures each row's lag from its source commit to its store commit", () => {
    const source = new Map(Array.from({ length: 100 }, (_, i) => [String(i), 1_000 + i] as [string, number]));
    const store = new Map(Array.from({ length: 100 }, (_, i) => [String(i), 1_000 + i + (i + 1) * 10] as [string, number]));
    assert.deepEqual(lagSummary(source, store), { rows: 100, missing: 0, p50Ms: 500, p95Ms: 950, p99Ms: 990, maxMs: 1000 });
  });

  it("never reports percentiles while some rows have no document yet", () => {
    const r = lagSummary(new Map([["1", 0], ["2", 0]]), new Map([["1", 5]]));
    assert.deepEqual([r.missing, r.p50Ms, r.p95Ms, r.maxMs], [1, null, null, 5]);
  });

  it("reports CPU per 1,000 events, rates and ratios, and refuses empty windows", () => {
    assert.equal(cpuPerThousand(2.5, 10_000), 0.25);
    assert.equal(rowsPerSecond(30_000, 20_000), 1500);
    assert.equal(ratio(3, 2), 1.5);
    assert.equal(ratio(3, 0), null);
    assert.equal(ratio(null, 2), null);
    assert.throws(() => cpuPerThousand(1, 0), /events must be positive/);
    assert.throws(() => rowsPerSecond(1, 0), /window must be positive/);
  });
});
