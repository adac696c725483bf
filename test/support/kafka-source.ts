/** Helpers for the tests that drive the worker's Kafka source against the data plane's broker. */
import type { RecordSource } from "../../workers/src/kafka/types.js";
import type { RawRecord } from "../../workers/src/sync/change.js";
import { newAdmin, type DataplaneEnv } from "./dataplane";

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
