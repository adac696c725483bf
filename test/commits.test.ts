/**
 * Backwards commits never happen (issue 14 §1.4), on the real broker, with the schedule under the
 * test's control rather than left to timing:
 *
 *   - member A (its own process, test/support/commit-member.ts) takes records 0..9 of the
 *     partition and starts writing them; the write stalls A's whole thread on a latch;
 *   - the group moves on without A: member B (this process) joins, takes the partition, reads it
 *     from the earliest offset, writes records 0..29 and commits 30;
 *   - only then is A released. It commits its batch at once, as the worker does after a write.
 *
 * A's batch was fetched in a generation that is over: committing 10 would move the group's
 * offset back from 30 and make B's successor re-apply 10..29 over newer writes (undoing the
 * reconciler's repairs, §1.4). The group's committed offset must stay at 30 from the moment B
 * committed until the end, A's commit must be refused or not sent, and never retried later.
 *
 * COEXIST_IT_SOURCE=platformatic runs both members on the old @platformatic/kafka source: there
 * the library answers ILLEGAL_GENERATION/UNKNOWN_MEMBER_ID by rejoining and sending the same
 * offsets again under the new generation, and this test fails (see the commit message).
 */
import assert from "node:assert/strict";
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LibrdkafkaSource } from "../workers/src/kafka/librdkafka.js";
import { PlatformaticSource } from "../workers/src/testing/platformatic.js";
import type { RecordSource } from "../workers/src/kafka/types.js";
import type { RawRecord } from "../workers/src/sync/change.js";
import { eventually, kafkaSasl, loadDataplaneEnv, type DataplaneEnv } from "./support/dataplane";
import type { MemberMessage } from "./support/commit-member";
import { committedOffsets, dropTopic, poll, seedTopic } from "./support/kafka-source";

const IMPL = process.env.COEXIST_IT_SOURCE ?? "librdkafka";
const id = randomBytes(4).toString("hex");
const topic = `it${id}.commits`;
// The data plane lets the worker user join only groups named coexist-sync-it-* (scripts/dataplane.d/kafka-acls.ts).
const groupId = `coexist-sync-it-commits-${id}`;
const RECORDS = 40;
const A_BATCH = 10;
const B_WRITES = 30;
// librdkafka: a member whose thread stops polling this long leaves the group (≥ its 6 s session).
const MAX_POLL_MS = 7_000;

let env: DataplaneEnv;
let dir: string;
let a: ChildProcess | undefined;
const sources: RecordSource[] = [];
const messages: MemberMessage[] = [];

const committed = async () => (await committedOffsets(env, groupId)).get(0);

function member(kind: MemberMessage["kind"], timeoutMs = 90_000): Promise<MemberMessage> {
  return eventually(`member A to report "${kind}"`, async () => {
    const failed = messages.find((m) => m.kind === "failed");
    if (failed) throw new Error(`member A failed: ${(failed as { error: string }).error}`);
    return messages.find((m) => m.kind === kind);
  }, timeoutMs, 100);
}

describe(`the Kafka source (${IMPL}) never commits backwards`, { timeout: 240_000 }, () => {
  before(async () => {
    env = loadDataplaneEnv();
    dir = mkdtempSync(join(tmpdir(), "coexist-commits-"));
    execFileSync("mkfifo", [join(dir, "latch")]);
    await seedTopic(env, topic, 1, RECORDS, "coexist-it-commits");
  });

  after(async () => {
    if (a && a.exitCode === null) {
      a.send("stop");
      const exited = new Promise((r) => a!.once("exit", r));
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (a.exitCode === null) a.kill("SIGKILL");
    }
    await Promise.allSettled(sources.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
    await dropTopic(env, topic, groupId);
  });

  it("§1.4: a member whose batch outlived its generation commits nothing, now or later", async (t) => {
    a = fork(join(__dirname, "support", "commit-member.ts"), [], {
      execArgv: ["--import", "tsx"],
      env: {
        ...process.env,
        COEXIST_IT_SOURCE: IMPL,
        COMMIT_MEMBER_TOPIC: topic,
        COMMIT_MEMBER_GROUP: groupId,
        COMMIT_MEMBER_LATCH: join(dir, "latch"),
        COMMIT_MEMBER_BATCH: String(A_BATCH),
        COMMIT_MEMBER_MAX_POLL_MS: String(MAX_POLL_MS),
      },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    a.on("message", (m) => messages.push(m as MemberMessage));

    const read = (await member("read")) as Extract<MemberMessage, { kind: "read" }>;
    assert.deepEqual(read.offsets, Array.from({ length: A_BATCH }, (_, i) => `0:${i}`), "A took the first records of the partition");
    // A is now stalled in its write, holding 0..9 uncommitted.

    const o = { brokers: env.KAFKA_BROKERS.split(","), sasl: kafkaSasl(env, "worker"), clientId: "coexist-it-commits-b", groupId, bufferRecords: 100, timeoutMs: 10_000 };
    const b = IMPL === "platformatic" ? new PlatformaticSource(o) : new LibrdkafkaSource({ ...o, sessionTimeoutMs: 6_000 });
    sources.push(b);
    await b.start([topic]);
    const fromB: RawRecord[] = [];
    await eventually("B takes the partition and reads it up to 30", async () => {
      fromB.push(...(await poll(b, 100, 1_000)));
      return fromB.length >= B_WRITES ? true : undefined;
    }, 120_000);
    assert.deepEqual(
      fromB.slice(0, B_WRITES).map((r) => r.offset),
      Array.from({ length: B_WRITES }, (_, i) => BigInt(i)),
      "B reads the partition from the earliest offset (nothing was committed)",
    );
    await b.commit(fromB.slice(0, B_WRITES));
    assert.equal(await committed(), BigInt(B_WRITES), "B committed 30");

    // B keeps polling, as a worker does, without committing more: any later change of the
    // group's offset can only come from A.
    let polling = true;
    const bLoop = (async () => {
      while (polling) await poll(b, 100, 250).catch(() => []);
    })();

    // Release A: its write returns and it commits 0..9 at once.
    const fd = openSync(join(dir, "latch"), constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(fd, "go");
    closeSync(fd);
    const released = Date.now();
    const outcome = (await member("committed", 60_000)) as Extract<MemberMessage, { kind: "committed" }>;
    t.diagnostic(`A's commit of 0..9 ended after ${Date.now() - released} ms: ${JSON.stringify(outcome)}`);

    // Watch the group's offset for a while with both members up: a client that retries the
    // refused commit (after rejoining) does so within this window.
    const seen: bigint[] = [];
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      const c = await committed();
      if (c !== undefined && seen[seen.length - 1] !== c) seen.push(c);
      await new Promise((r) => setTimeout(r, 200));
    }
    polling = false;
    await bLoop;
    a.send("stop");
    const stopped = (await member("stopped", 30_000)) as Extract<MemberMessage, { kind: "stopped" }>;
    t.diagnostic(`A after its commit: ${JSON.stringify(stopped)}`);

    assert.deepEqual(seen, [BigInt(B_WRITES)], `the group's committed offset stays at ${B_WRITES} (A's commit outcome: ${JSON.stringify(outcome)})`);
    if (IMPL !== "platformatic") {
      assert.ok(outcome.error !== undefined || outcome.refused > 0, `A's stale commit was refused or reported as failed: ${JSON.stringify(outcome)}`);
      // The stall made A leave the group; its source rejoins and keeps working rather than failing the worker.
      assert.ok(stopped.maxPollExceeded >= 1, `A saw it had left the group: ${JSON.stringify(stopped)}`);
      assert.equal(stopped.error, undefined, "A's source kept working after the stall");
    }
  });
});
