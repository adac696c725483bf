/** Helpers for the tests that drive the worker's Kafka source, or a client of their own, against a real broker. */
import type { RecordSource } from "../../workers/src/kafka/types.js";
import type { RawRecord } from "../../workers/src/sync/change.js";
import { Consumer, MessagesStreamModes, Producer } from "../../workers/src/testing/deps.js";
import { kafkaClientOptions, newAdmin, type DataplaneEnv } from "./dataplane";

type ConsumerSasl = NonNullable<ConstructorParameters<typeof Consumer>[0]>["sasl"];

/** The group's committed offset per partition of its topic (none yet: absent). */
export async function committedOffsets(env: DataplaneEnv, groupId: string): Promise<Map<number, bigint>> {
  const admin = newAdmin(env);
  try {
    const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
    const out = new Map<number, bigint>();
    for (const t of group?.topics ?? []) for (const p of t.partitions) if (p.committedOffset >= 0n) out.set(p.partitionIndex, p.committedOffset);
    return out;
  } finally {
    await admin.close();
  }
}

/**
 * `next`, but resolving with [] after `ms` when nothing arrives. A `next` still pending when the
 * timer fires is kept and awaited by the following poll, so no call hands records to nobody.
 */
const pending = new WeakMap<RecordSource, Promise<RawRecord[]>>();
export async function poll(s: RecordSource, max: number, ms = 2_000): Promise<RawRecord[]> {
  const call = pending.get(s) ?? s.next(max, 100);
  pending.set(s, call);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    const got = await Promise.race([call, timeout]);
    if (got === null) return [];
    pending.delete(s);
    return got;
  } finally {
    clearTimeout(timer);
  }
}

/** A new topic of `partitions` partitions, each holding `perPartition` records `k<i>` → `v<i>`, i from 0. */
export async function seedTopic(env: DataplaneEnv, topic: string, partitions: number, perPartition: number, clientId: string): Promise<void> {
  const admin = newAdmin(env);
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
  const producer = new Producer({ clientId, ...kafkaClientOptions(env) });
  try {
    for (let partition = 0; partition < partitions; partition++) {
      await producer.send({ messages: Array.from({ length: perPartition }, (_, i) => ({ topic, partition, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })) });
    }
  } finally {
    await producer.close();
  }
}

/** The first record's value on `topic`, read from the earliest offset as `sasl` in group `groupId`; fails after 30 s. */
export async function consumeFirst(client: { clientId: string; bootstrapBrokers: string[]; sasl: ConsumerSasl }, topic: string, groupId: string): Promise<string> {
  const consumer = new Consumer({ ...client, groupId, maxWaitTime: 200, retries: 0, timeout: 10_000 });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    try {
      return await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no record on ${topic} within 30 s`)), 30_000);
        stream.once("data", (m: { value?: Buffer }) => { clearTimeout(timer); resolve(m.value?.toString() ?? ""); });
        stream.once("error", (e: unknown) => { clearTimeout(timer); reject(e); });
      });
    } finally {
      await stream.close();
    }
  } finally {
    await consumer.close(true);
  }
}

/** Removes what seedTopic and a test's group left: the group (if any) and the topic. */
export async function dropTopic(env: DataplaneEnv, topic: string, groupId: string): Promise<void> {
  const admin = newAdmin(env);
  try {
    await admin.deleteGroups({ groups: [groupId] }).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.close();
  }
}
