/**
 * The worker's Kafka source across a consumer-group rebalance, against the real broker: what
 * it hands out and what it commits once another member took some of its partitions
 * (issue 8, point 3). The end-to-end run with two worker processes is in rebalance.test.ts.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { LibrdkafkaSource } from "../workers/src/kafka/librdkafka.js";
import { PlatformaticSource } from "../workers/src/testing/platformatic.js";
import type { RecordSource } from "../workers/src/kafka/types.js";
import type { RawRecord } from "../workers/src/sync/change.js";
import { eventually, kafkaSasl, loadDataplaneEnv, type DataplaneEnv } from "./support/dataplane";
import { committedOffsets, dropTopic, poll, seedTopic } from "./support/kafka-source";

const id = randomBytes(4).toString("hex");
const topic = `it${id}.source`;
const groupId = `coexist-sync-it-${id}`;
const PER_PARTITION = 60;
let env: DataplaneEnv;
/** COEXIST_IT_SOURCE=platformatic runs it against the old source (eager rebalances). */
const IMPL = process.env.COEXIST_IT_SOURCE ?? "librdkafka";
type Source = RecordSource & { readonly rebalances: number };
const sources: Source[] = [];

function source(name: string): Source {
  const o = { brokers: env.KAFKA_BROKERS.split(","), sasl: kafkaSasl(env, "worker"), clientId: `coexist-it-${name}`, groupId, bufferRecords: 10, timeoutMs: 10_000 };
  const s = IMPL === "platformatic" ? new PlatformaticSource(o) : new LibrdkafkaSource(o);
  sources.push(s);
  return s;
}

const committed = () => committedOffsets(env, groupId);


/** Partitions a source currently owns, read through the records it may still hand out. */
const partitionsOf = (records: readonly RawRecord[]) => new Set(records.map((r) => r.partition));

describe("the Kafka source across a rebalance", { timeout: 180_000 }, () => {
  before(async () => {
    env = loadDataplaneEnv();
    await seedTopic(env, topic, 3, PER_PARTITION, "coexist-it-source");
  });

  after(async () => {
    await Promise.allSettled(sources.map((s) => s.close()));
    await dropTopic(env, topic, groupId);
  });

  it("never commits backwards, never hands out or commits a partition it lost", async () => {
    const a = source("a");
    await a.start([topic]);
    const early = await poll(a, 5, 30_000);
    assert.ok(early.length > 0);
    const p = early[0]?.partition as number;
    const earlyOfP = early.filter((r) => r.partition === p);

    // A consumes every partition past offset 40 and commits up to offset 30 of each.
    let later: RawRecord[] = [];
    await eventually("offset 40 of every partition", async () => {
      later = later.concat(await poll(a, 10));
      const max = new Map<number, bigint>();
      for (const r of [...early, ...later]) if (r.offset > (max.get(r.partition) ?? -1n)) max.set(r.partition, r.offset);
      return max.size === 3 && [...max.values()].every((o) => o >= 40n) ? true : undefined;
    });
    await a.commit([...early, ...later].filter((r) => r.offset <= 30n));
    const before = (await committed()).get(p) as bigint;
    assert.ok(before > 30n);

    // The early batch finishes late (a slow write): its commit must not move p backwards.
    await a.commit(earlyOfP);
    assert.equal((await committed()).get(p), before, "a late commit of older offsets is dropped");

    // B joins: the group rebalances and A keeps only some partitions.
    const b = source("b");
    await b.start([topic]);
    const fromB: RawRecord[] = [];
    await eventually("B owns a partition", async () => {
      fromB.push(...(await poll(b, 10)));
      return fromB.length > 0 ? true : undefined;
    });
    const lost = partitionsOf(fromB);
    assert.ok(a.rebalances >= 2, `A saw the rebalance (${a.rebalances} joins)`);

    // Whatever A had buffered for the partitions B now owns is gone.
    const handedOut = await poll(a, 100);
    for (const r of handedOut) assert.ok(!lost.has(r.partition), `A handed out partition ${r.partition}, which B owns`);

    // B commits its records; a late commit from A of the same partition must not touch them.
    await b.commit(fromB);
    const afterB = await committed();
    const stale = [...early, ...later].filter((r) => lost.has(r.partition));
    assert.ok(stale.length > 0, "A had handed out records of the partition it lost");
    await a.commit(stale);
    assert.deepEqual(await committed(), afterB, "A does not commit partitions it lost");

    // Eager rebalancing (the old source) revokes every partition: a batch of a partition A kept,
    // fetched before the rebalance and written during it, is not committed after it, since B may
    // have read that partition from the older offset meanwhile. Under cooperative-sticky a kept
    // partition is never revoked, nobody else reads it, and its contiguous prefix may be committed.
    if (IMPL !== "platformatic") return;
    const fetchedBefore = [...early, ...later].filter((r) => !lost.has(r.partition) && r.offset > 30n);
    assert.ok(fetchedBefore.length > 0, "A had uncommitted records of a partition it kept");
    await a.commit(fetchedBefore);
    assert.deepEqual(await committed(), afterB, "nothing fetched in an earlier generation is committed");
  });
});
