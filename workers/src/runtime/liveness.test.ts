import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Liveness } from "./liveness.js";

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("Liveness", () => {
  it("stays live while idle: no lag and no batch in hand", () => {
    const c = clock();
    const l = new Liveness(60_000, c.now);
    for (let i = 0; i < 10; i++) {
      c.advance(50_000);
      l.lagObserved(0n);
    }
    assert.equal(l.live(), true);
  });

  it("turns dead when a batch stays in hand longer than the bound", () => {
    const c = clock();
    const l = new Liveness(60_000, c.now);
    l.batchStarted();
    c.advance(59_000);
    assert.equal(l.live(), true);
    c.advance(2_000);
    assert.equal(l.live(), false);
    l.batchCompleted();
    assert.equal(l.live(), true);
  });

  it("turns dead when records wait in Kafka and no batch completes within the bound", () => {
    const c = clock();
    const l = new Liveness(60_000, c.now);
    l.batchCompleted();
    c.advance(30_000);
    l.lagObserved(12n);
    c.advance(31_000);
    assert.equal(l.live(), true, "the records have waited 31 s, not 61");
    l.lagObserved(12n);
    c.advance(30_000);
    assert.equal(l.live(), false);
  });

  it("measures the wait from when records started waiting, not from the last idle reading", () => {
    const c = clock();
    const l = new Liveness(60_000, c.now);
    l.lagObserved(0n);
    c.advance(50_000);
    l.batchStarted();
    l.lagObserved(3n);
    c.advance(30_000);
    assert.equal(l.live(), true);
    c.advance(31_000);
    assert.equal(l.live(), false);
  });

  it("turns dead when Kafka's lag cannot be read for longer than the bound", () => {
    const c = clock();
    const l = new Liveness(60_000, c.now);
    l.lagObserved(0n);
    c.advance(61_000);
    assert.equal(l.live(), false);
    l.lagObserved(0n);
    assert.equal(l.live(), true);
  });
});
