/**
 * The Kafka source's own rebalance behaviour against the real broker (issue 14 §1.2, §1.3),
 * deterministic: two members in one process, rebalances driven by a member joining and leaving.
 *
 * A owns both partitions and reads all of them without committing (the churn of a new group).
 * B joins, takes a partition p, reads some of it, and leaves without committing. p comes back
 * to A. With no committed offset, A must read p again from the earliest offset, and whatever A
 * fetched of p before B took it must never be handed out or committed now.
 *
 * COEXIST_IT_SOURCE=platformatic runs it against the old @platformatic/kafka source (it fails:
 * see the commit message); the default is the worker's LibrdkafkaSource.
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

const IMPL = process.env.COEXIST_IT_SOURCE ?? "librdkafka";
const id = randomBytes(4).toString("hex");
const topic = `it${id}.client`;
// The data plane lets the worker user join only groups named coexist-sync-it-* (scripts/dataplane.d/kafka-acls.ts).
const groupId = `coexist-sync-it-client-${id}`;
const PER_PARTITION = 40;
let env: DataplaneEnv;
const sources: RecordSource[] = [];

function source(name: string): RecordSource {
  const o = { brokers: env.KAFKA_BROKERS.split(","), sasl: kafkaSasl(env, "worker"), clientId: `coexist-it-${name}`, groupId, bufferRecords: 200, timeoutMs: 10_000 };
  const s = IMPL === "platformatic" ? new PlatformaticSource(o) : new LibrdkafkaSource({ ...o, sessionTimeoutMs: 6_000 });
  sources.push(s);
  return s;
}

const committed = () => committedOffsets(env, groupId);


describe(`the Kafka source (${IMPL}) when a partition comes back`, { timeout: 240_000 }, () => {
  before(async () => {
    env = loadDataplaneEnv();
    await seedTopic(env, topic, 2, PER_PARTITION, "coexist-it-client");
  });

  after(async () => {
    await Promise.allSettled(sources.map((s) => s.close()));
    await dropTopic(env, topic, groupId);
  });

  it("§1.3 resumes from earliest, not a stale position; §1.2 never hands out or commits what it fetched before", async () => {
    const a = source("a");
    await a.start([topic]);
    const first: RawRecord[] = [];
    await eventually("A read both partitions to the end", async () => {
      first.push(...(await poll(a, 100)));
      const ends = [0, 1].map((p) => first.filter((r) => r.partition === p).length);
      return ends.every((n) => n >= PER_PARTITION) ? true : undefined;
    });

    const b = source("b");
    await b.start([topic]);
    const fromB: RawRecord[] = [];
    // A keeps calling next (as the worker does) so it takes part in the rebalance.
    const fromAMeanwhile: RawRecord[] = [];
    await eventually("B owns a partition", async () => {
      fromAMeanwhile.push(...(await poll(a, 100, 200)));
      fromB.push(...(await poll(b, 5, 1_000)));
      return fromB.length > 0 ? true : undefined;
    });
    const p = fromB[0]!.partition;
    assert.deepEqual(await committed(), new Map(), "nothing committed yet");
    await b.close();

    // p comes back to A: with nothing committed, A must read it again from offset 0.
    const back: RawRecord[] = [];
    await eventually(`A reads partition ${p} again`, async () => {
      back.push(...(await poll(a, 100, 1_000)).filter((r) => r.partition === p));
      return back.length >= PER_PARTITION ? true : undefined;
    }, 90_000);
    assert.deepEqual(
      back.slice(0, PER_PARTITION).map((r) => r.offset),
      Array.from({ length: PER_PARTITION }, (_, i) => BigInt(i)),
      `partition ${p} resumes at the earliest offset, in order`,
    );

    // A commits what it handed out after p came back, plus the records of p it fetched before:
    // the commit must cover exactly the contiguous prefix handed out since, no more.
    await a.commit([...first.filter((r) => r.partition === p), ...back.slice(0, 10)]);
    assert.equal((await committed()).get(p), 10n, "the commit covers only records fetched since p came back");
  });
});
