import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSlotWaitEnv, waitSlotReleased, type SlotReader } from "./wait.js";

const URL_ = "postgresql://coexist_slot_reader:s3cret@postgres-rw:5432/app";

/** A reader that answers from a script, one entry per read; the last repeats. */
function scripted(...answers: (Awaited<ReturnType<SlotReader>> | Error)[]): { read: SlotReader; reads: () => number } {
  let n = 0;
  return {
    read: async () => {
      const a = answers[Math.min(n++, answers.length - 1)];
      if (a instanceof Error) throw a;
      return a;
    },
    reads: () => n,
  };
}

describe("the in-cluster slot probe", () => {
  it("reads its env, and refuses a missing URL without echoing a bad one, a bad slot and a bad bound", () => {
    assert.deepEqual(parseSlotWaitEnv({ POSTGRES_URL: URL_, COEXIST_SLOTS: "coexist_staging", COEXIST_SLOT_WAIT_MS: "60000" }), {
      postgresUrl: URL_, slot: "coexist_staging", waitMs: 60_000, queryTimeoutMs: 5_000, resultFile: "/dev/termination-log",
    });
    assert.throws(() => parseSlotWaitEnv({ COEXIST_SLOTS: "a", COEXIST_SLOT_WAIT_MS: "1000" }), /"POSTGRES_URL": found null/);
    assert.throws(() => parseSlotWaitEnv({ POSTGRES_URL: "mysql://u:hunter2@h/db", COEXIST_SLOTS: "a", COEXIST_SLOT_WAIT_MS: "1000" }), (e: Error) => !/hunter2/.test(e.message) && /POSTGRES_URL/.test(e.message));
    assert.throws(() => parseSlotWaitEnv({ POSTGRES_URL: URL_, COEXIST_SLOTS: "a,b", COEXIST_SLOT_WAIT_MS: "1000" }), /"COEXIST_SLOTS": found "a,b"; set the one replication slot/);
    assert.throws(() => parseSlotWaitEnv({ POSTGRES_URL: URL_, COEXIST_SLOTS: "a" }), /"COEXIST_SLOT_WAIT_MS": found null; set an integer between 1000 and 3600000/);
    assert.throws(() => parseSlotWaitEnv({ POSTGRES_URL: URL_, COEXIST_SLOTS: "a", COEXIST_SLOT_WAIT_MS: "60s" }), /COEXIST_SLOT_WAIT_MS/);
  });

  it("is released at once for an inactive slot and for a slot that does not exist", async () => {
    for (const answer of [{ active: false, activePid: null }, undefined]) {
      const r = scripted(answer);
      const result = await waitSlotReleased("s", r.read, 5_000, 1);
      assert.deepEqual({ ...result, waitedMs: 0 }, { slot: "s", released: true, state: answer ?? null, error: null, waitedMs: 0 });
      assert.equal(r.reads(), 1);
    }
  });

  it("waits while the slot is held and across failed reads, then reports the release", async () => {
    const r = scripted({ active: true, activePid: 41 }, new Error("connection refused"), { active: true, activePid: 41 }, { active: false, activePid: null });
    const result = await waitSlotReleased("s", r.read, 5_000, 1);
    assert.equal(result.released, true);
    assert.deepEqual(result.state, { active: false, activePid: null });
    assert.equal(r.reads(), 4);
  });

  it("at the bound, reports the holder's pid, or the last error when the last read failed", async () => {
    let t = 0;
    const clock = () => (t += 400);
    const held = await waitSlotReleased("s", scripted({ active: true, activePid: 41 }).read, 2_000, 0, clock);
    assert.deepEqual([held.released, held.state, held.error], [false, { active: true, activePid: 41 }, null]);
    t = 0;
    const unreadable = await waitSlotReleased("s", scripted({ active: true, activePid: 41 }, new Error("x".repeat(5_000))).read, 2_000, 0, clock);
    assert.deepEqual([unreadable.released, unreadable.state], [false, null]);
    assert.equal(unreadable.error?.length, 1_000, "kept within the termination message's 4096 bytes");
  });
});
