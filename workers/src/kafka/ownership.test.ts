import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { RawRecord } from "../sync/change.js";
import { Ownership, tpKey, type TopicPartition } from "./ownership.js";

const TOPIC = "t";
const tp = (partition: number): TopicPartition => ({ topic: TOPIC, partition });
const rec = (partition: number, offset: bigint): RawRecord => ({ topic: TOPIC, partition, offset, key: null, value: null });

/** One step of a member's life, as a broker and client would drive it. */
type Step =
  | { kind: "assign"; partitions: number[] }
  | { kind: "revoke"; partitions: number[] }
  | { kind: "fetch"; partition: number; count: number; gap: number }
  | { kind: "write"; picks: number[] }
  | { kind: "commit"; ok: boolean; lost: boolean };

const PARTITIONS = 3;
const partitions = fc.uniqueArray(fc.integer({ min: 0, max: PARTITIONS - 1 }), { minLength: 1, maxLength: PARTITIONS });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("assign" as const), partitions }),
  fc.record({ kind: fc.constant("revoke" as const), partitions }),
  // Offsets are not contiguous (compacted topics, transaction markers): `gap` skips some.
  fc.record({ kind: fc.constant("fetch" as const), partition: fc.integer({ min: 0, max: PARTITIONS - 1 }), count: fc.integer({ min: 1, max: 4 }), gap: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant("write" as const), picks: fc.array(fc.nat(), { maxLength: 6 }) }),
  // `lost`: the broker acknowledged the commit but a later coordinator failover forgot it.
  fc.record({ kind: fc.constant("commit" as const), ok: fc.boolean(), lost: fc.boolean() }),
);

/**
 * Drives Ownership and a reference model of the guarantees side by side. The model keeps, per
 * owned partition, the records admitted in the current epoch in fetch order and which were
 * written; the commit due is one past the last record of the longest written prefix, if above
 * what the broker accepted from this member.
 */
function run(steps: readonly Step[]): void {
  const o = new Ownership();
  let generation = 0;
  const epochOf = new Map<number, number>(); // partition → epoch id in the model (absent: not owned)
  let epochs = 0;
  const position = new Map<number, bigint>(); // next offset the broker would hand out (committed or earliest on assign)
  const brokerCommitted = new Map<number, bigint>();
  const fetched: Array<{ r: RawRecord; epoch: number; written: boolean }> = [];
  const memberCommitted = new Map<string, bigint>();
  let lastCommit: { offsets: Map<string, bigint>; generation: number } | undefined;

  for (const s of steps) {
    switch (s.kind) {
      case "assign": {
        generation++;
        const fresh = s.partitions.filter((p) => !epochOf.has(p));
        o.assigned(s.partitions.map(tp), generation);
        for (const p of fresh) {
          epochOf.set(p, ++epochs);
          // An assigned partition starts at the committed offset, else earliest (0): never a stale position.
          position.set(p, brokerCommitted.get(p) ?? 0n);
        }
        break;
      }
      case "revoke": {
        generation++;
        o.revoked(s.partitions.map(tp));
        o.assigned([], generation);
        for (const p of s.partitions) epochOf.delete(p);
        break;
      }
      case "fetch": {
        // The client may still deliver records of a partition it no longer owns (buffered before a revoke).
        const start = position.get(s.partition) ?? 0n;
        for (let i = 0; i < s.count; i++) {
          const r = rec(s.partition, start + BigInt(i * (s.gap + 1)));
          const admitted = o.admit(r);
          assert.equal(admitted, epochOf.has(s.partition), `admit ${tpKey(r)}@${r.offset}: owned=${epochOf.has(s.partition)}`);
          if (admitted) fetched.push({ r, epoch: epochOf.get(s.partition)!, written: false });
        }
        position.set(s.partition, start + BigInt(s.count * (s.gap + 1)));
        break;
      }
      case "write": {
        const pending = fetched.filter((f) => !f.written);
        if (pending.length === 0) break;
        const chosen = [...new Set(s.picks.map((i) => i % pending.length))].sort((a, b) => a - b).map((i) => pending[i]!);
        // Records handed out after a revoke are dropped by the source: only current ones are written.
        for (const f of chosen) assert.equal(o.current(f.r), epochOf.get(f.r.partition) === f.epoch);
        for (const f of chosen) f.written = true;
        const got = o.commitFor(chosen.map((f) => f.r));
        const want = new Map<string, bigint>();
        const touched = new Set(chosen.filter((f) => epochOf.get(f.r.partition) === f.epoch).map((f) => f.r.partition));
        for (const p of touched) {
          let last: bigint | undefined;
          for (const f of fetched.filter((x) => x.r.partition === p && x.epoch === epochOf.get(p))) {
            if (!f.written) break;
            last = f.r.offset + 1n;
          }
          const key = tpKey(tp(p));
          const floor = memberCommitted.get(key);
          if (last !== undefined && (floor === undefined || last > floor)) want.set(key, last);
        }
        assert.deepEqual(got, want);
        for (const [key, offset] of got) {
          const p = Number(key.slice(key.lastIndexOf(":") + 1));
          assert.ok(epochOf.has(p), `commit for ${key}, not owned`);
          const floor = memberCommitted.get(key);
          assert.ok(floor === undefined || offset > floor, `commit ${offset} for ${key} goes backwards from ${floor}`);
        }
        lastCommit = got.size > 0 ? { offsets: got, generation } : lastCommit;
        break;
      }
      case "commit": {
        if (!lastCommit) break;
        // A commit computed in an earlier generation is never sent (nor retried) in this one.
        const sendable = o.mayCommit(lastCommit.generation);
        assert.equal(sendable, lastCommit.generation === generation);
        if (sendable) {
          o.commitResult(lastCommit.offsets, lastCommit.generation, s.ok);
          if (s.ok) {
            for (const [key, offset] of lastCommit.offsets) {
              memberCommitted.set(key, offset);
              if (!s.lost) brokerCommitted.set(Number(key.slice(key.lastIndexOf(":") + 1)), offset);
            }
          }
        }
        lastCommit = undefined;
        break;
      }
    }
  }
}

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

describe("Ownership over generated schedules", () => {
  it(`never admits, emits or commits beyond what it owns and wrote contiguously in the current epoch (seed ${seed})`, () => {
    console.log(`ownership: fast-check seed ${seed} (FC_SEED=${seed} to replay)`);
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => run(steps)),
      { seed, numRuns: 2_000, verbose: fc.VerbosityLevel.Verbose },
    );
  });
});

describe("Ownership, named schedules from issue 14", () => {
  it("§1.2: records fetched before a revoke are not current after the partition comes back, and never committed", () => {
    const o = new Ownership();
    o.assigned([tp(0)], 1);
    const old = [rec(0, 3000n), rec(0, 3001n)];
    for (const r of old) assert.ok(o.admit(r));
    o.revoked([tp(0)]);
    o.assigned([tp(0)], 2);
    assert.deepEqual(old.map((r) => o.current(r)), [false, false]);
    assert.deepEqual(o.commitFor(old), new Map());
    const fresh = rec(0, 1000n);
    assert.ok(o.admit(fresh));
    assert.deepEqual(o.commitFor([fresh]), new Map([["t:0", 1001n]]));
  });

  it("never commits backwards from what this member committed, even when the broker forgot it", () => {
    const o = new Ownership();
    o.assigned([tp(0)], 1);
    const first = [rec(0, 0n), rec(0, 1n), rec(0, 2n)];
    for (const r of first) o.admit(r);
    const due = o.commitFor(first);
    o.commitResult(due, 1, true);
    o.revoked([tp(0)]);
    o.assigned([tp(0)], 2);
    const again = rec(0, 0n);
    assert.ok(o.admit(again));
    assert.deepEqual(o.commitFor([again]), new Map());
  });

  it("commits only the contiguous written prefix of an epoch", () => {
    const o = new Ownership();
    o.assigned([tp(0)], 1);
    const rs = [rec(0, 0n), rec(0, 1n), rec(0, 5n)];
    for (const r of rs) o.admit(r);
    assert.deepEqual(o.commitFor([rs[1]!, rs[2]!]), new Map());
    assert.deepEqual(o.commitFor([rs[0]!]), new Map([["t:0", 6n]]));
  });

  it("§1.4: offsets computed in one generation may not be sent in the next", () => {
    const o = new Ownership();
    o.assigned([tp(0)], 1);
    assert.ok(o.mayCommit(1));
    o.assigned([tp(1)], 2);
    assert.ok(!o.mayCommit(1));
  });
});
