import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Wake } from "./wake.js";

describe("Wake", () => {
  it("a notify ends the wait at once; without one the wait lasts its time; a notify with no waiter is not kept", async () => {
    const w = new Wake();
    let t = Date.now();
    const woken = w.wait(5_000);
    setTimeout(() => w.notify(), 20);
    await woken;
    assert.ok(Date.now() - t < 1_000, `woken early: ${Date.now() - t} ms`);
    w.notify();
    t = Date.now();
    await w.wait(80);
    assert.ok(Date.now() - t >= 70, `an earlier notify does not end a later wait: ${Date.now() - t} ms`);
  });
});
