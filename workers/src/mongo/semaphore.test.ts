import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Semaphore } from "./semaphore.js";

describe("Semaphore", () => {
  it("runs at most its limit of tasks at once and every task eventually", async () => {
    const s = new Semaphore(3);
    let running = 0;
    let peak = 0;
    const done = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        s.run(async () => {
          peak = Math.max(peak, ++running);
          await new Promise((r) => setTimeout(r, 2));
          running--;
          return i;
        }),
      ),
    );
    assert.equal(peak, 3);
    assert.deepEqual(done, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(s.running, 0);
  });

  it("frees the slot of a task that fails", async () => {
    const s = new Semaphore(1);
    await assert.rejects(s.run(async () => Promise.reject(new Error("boom"))), /boom/);
    assert.equal(await s.run(async () => "next"), "next");
  });

  it("refuses a limit that is not a positive integer", () => {
    assert.throws(() => new Semaphore(0), /semaphore limit 0 is not a positive integer/);
  });
});
