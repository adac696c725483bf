/**
 * One group member in its own process, for test/commits.test.ts (issue 14 §1.4). It does what the
 * worker's loop does with one batch, under a schedule the test controls:
 *   1. joins the group and takes the first `COMMIT_MEMBER_BATCH` records of the topic's partition
 *      (reported to the parent: `{ kind: "read", offsets }`);
 *   2. "writes" them: the write stalls this process's thread (a synchronous open of the FIFO
 *      `COMMIT_MEMBER_LATCH`, which returns only once the parent opens it for writing), the way an
 *      event loop stuck in a long write or a GC pause stalls a worker. Nothing of this process runs
 *      meanwhile: not its timers, not its Kafka client's JavaScript;
 *   3. on waking, commits the batch at once, as the worker does after a write, and reports how that
 *      ended (`{ kind: "committed", error?, refused }`);
 *   4. keeps polling without committing until the parent says `stop`, so it stays in the group
 *      and a client that retries the commit in the background gets every chance to; then reports
 *      whether its source kept working (`{ kind: "stopped", error? }`).
 *
 * COEXIST_IT_SOURCE=platformatic runs the old @platformatic/kafka source; default LibrdkafkaSource.
 */
import { readFileSync } from "node:fs";
import { LibrdkafkaSource } from "../../workers/src/kafka/librdkafka.js";
import { PlatformaticSource } from "../../workers/src/testing/platformatic.js";
import type { RecordSource } from "../../workers/src/kafka/types.js";
import type { RawRecord } from "../../workers/src/sync/change.js";
import { kafkaSasl, loadDataplaneEnv } from "./dataplane";
import { poll } from "./kafka-source";

export type MemberMessage =
  | { kind: "read"; offsets: string[] }
  | { kind: "committed"; error?: string; refused: number; accepted: number }
  | { kind: "stopped"; error?: string; maxPollExceeded: number }
  | { kind: "failed"; error: string };

const need = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (test/commits.test.ts sets it)`);
  return v;
};

async function main(): Promise<void> {
  const env = loadDataplaneEnv();
  const topic = need("COMMIT_MEMBER_TOPIC");
  const groupId = need("COMMIT_MEMBER_GROUP");
  const latch = need("COMMIT_MEMBER_LATCH");
  const batch = Number(need("COMMIT_MEMBER_BATCH"));
  const impl = process.env.COEXIST_IT_SOURCE ?? "librdkafka";
  const o = { brokers: env.KAFKA_BROKERS.split(","), sasl: kafkaSasl(env, "worker"), clientId: "coexist-it-commits-a", groupId, bufferRecords: batch, timeoutMs: 10_000 };
  const source: RecordSource =
    impl === "platformatic" ? new PlatformaticSource(o) : new LibrdkafkaSource({ ...o, sessionTimeoutMs: 6_000, maxPollIntervalMs: Number(need("COMMIT_MEMBER_MAX_POLL_MS")) });
  const send = (m: MemberMessage) => process.send?.(m);
  let stopping = false;
  process.on("message", (m) => {
    if (m === "stop") stopping = true;
  });

  await source.start([topic]);
  const records: RawRecord[] = [];
  while (records.length < batch) records.push(...(await poll(source, batch - records.length, 1_000)));
  send({ kind: "read", offsets: records.map((r) => `${r.partition}:${r.offset}`) });

  // The write: this thread stalls until the parent opens the FIFO for writing.
  readFileSync(latch);

  let error: string | undefined;
  try {
    await source.commit(records);
  } catch (e) {
    error = (e as Error).message;
  }
  // Counted by the librdkafka source only (−1: not known).
  const refused = source instanceof LibrdkafkaSource ? source.commitsRefused : -1;
  const accepted = source instanceof LibrdkafkaSource ? source.commitsAccepted : -1;
  send(error === undefined ? { kind: "committed", refused, accepted } : { kind: "committed", error, refused, accepted });

  // Polling on, as the worker does; the first error, if any, is reported (a failed source keeps failing).
  let pollError: string | undefined;
  while (!stopping) {
    try {
      await poll(source, 100, 250);
    } catch (e) {
      pollError ??= (e as Error).message;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const maxPollExceeded = source instanceof LibrdkafkaSource ? source.maxPollExceeded : -1;
  send(pollError === undefined ? { kind: "stopped", maxPollExceeded } : { kind: "stopped", error: pollError, maxPollExceeded });
  await source.close().catch(() => undefined);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.send?.({ kind: "failed", error: e.stack ?? e.message } satisfies MemberMessage);
    process.exit(1);
  },
);
