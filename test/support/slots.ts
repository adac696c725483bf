/**
 * Replication-slot and connector-lifecycle helpers for the tests on the local data plane: who
 * holds a slot, a second consumer that holds one (pg_recvlogical), a topic's records, and the
 * connector provider loaded the way the Pulumi engine loads it (serialised, then
 * require-from-string from the project root).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { Consumer, MessagesStreamModes, type pg } from "../../workers/src/testing/deps.js";
import { eventually, kafkaClientOptions, ROOT, type DataplaneEnv } from "./dataplane";

type Pool = InstanceType<typeof pg.Pool>;

export interface SlotRow {
  readonly active: boolean;
  readonly active_pid: number | null;
  readonly confirmed_flush_lsn: string | null;
}

export async function slotRow(pool: Pool, slot: string): Promise<SlotRow | undefined> {
  const r = await pool.query<SlotRow>("SELECT active, active_pid, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", [slot]);
  return r.rows[0];
}

/** A URL for the data plane's Debezium role (what the stack gives the connector's slot probe). */
export function debeziumUrl(env: DataplaneEnv, database = env.PGDATABASE): string {
  const password = (env as unknown as Record<string, string>).DEBEZIUM_PASSWORD;
  if (!password) throw new Error("the data plane env has no DEBEZIUM_PASSWORD; re-run scripts/dataplane up");
  return `postgresql://${encodeURIComponent(env.DEBEZIUM_USER)}:${encodeURIComponent(password)}@${env.PGHOST}:${env.PGPORT}/${database}`;
}

/** The same server's URL with another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A logical replication client other than Debezium holding `slot` (pg_recvlogical from the data plane's PostgreSQL). */
export class SlotHolder {
  private constructor(private readonly child: ChildProcess, readonly exited: Promise<void>) {}

  static async start(env: DataplaneEnv, pool: Pool, slot: string, publication: string, database = env.PGDATABASE): Promise<SlotHolder> {
    const version = (JSON.parse(readFileSync(join(ROOT, "versions.json"), "utf8")) as { postgres: string }).postgres;
    const bin = `/usr/lib/postgresql/${version}/bin/pg_recvlogical`;
    const child = spawn(bin, ["-d", withDatabase(env.POSTGRES_URL, database), "-S", slot, "--start", "-f", "/dev/null", "-o", "proto_version=1", "-o", `publication_names=${publication}`], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    await eventually(`pg_recvlogical to hold ${slot}`, async () => {
      if (child.exitCode !== null) throw new Error(`pg_recvlogical exited ${child.exitCode}: ${stderr}`);
      return (await slotRow(pool, slot))?.active ? true : undefined;
    }, 30_000);
    return new SlotHolder(child, exited);
  }

  async release(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    await this.exited;
  }
}

export interface TopicRecord {
  readonly key: unknown;
  /** The row image of Debezium's envelope (`after`, or `before` for a delete) with its `op` as `__op`; null for a tombstone. */
  readonly row: Record<string, unknown> | null;
}

/** Reads `topic` from the beginning until `done` holds for what was read (or the timeout). */
/** The connector emits Debezium's envelope (components/connect/connector-config.ts): its row image and operation. */
function rowOf(payload: Record<string, unknown>): Record<string, unknown> {
  const image = (payload.after ?? payload.before) as Record<string, unknown> | null | undefined;
  return { ...(image ?? {}), __op: payload.op };
}

export async function readTopic(env: DataplaneEnv, topic: string, done: (records: TopicRecord[]) => boolean, timeoutMs = 90_000): Promise<TopicRecord[]> {
  const consumer = new Consumer({ clientId: "coexist-it-topic-reader", groupId: `topic-reader-${Date.now()}-${Math.random().toString(16).slice(2)}`, ...kafkaClientOptions(env), maxWaitTime: 200 });
  const records: TopicRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    stream.on("data", (m: { key?: Buffer; value?: Buffer }) => {
      const value = m.value && m.value.length > 0 ? (JSON.parse(m.value.toString()) as { payload: Record<string, unknown> }) : null;
      records.push({ key: m.key ? (JSON.parse(m.key.toString()) as unknown) : null, row: value?.payload ? rowOf(value.payload) : null });
    });
    await eventually(`records on ${topic}`, async () => (done(records) ? true : undefined), timeoutMs).catch((e: Error) => {
      throw new Error(`${e.message}; read ${records.length}: ${JSON.stringify(records.slice(-10))}`);
    });
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return records;
}

/**
 * The connector provider as the engine runs it: the component registered under Pulumi mocks,
 * its serialised provider module loaded with require-from-string from the project root (the
 * dynamic-provider host does exactly that), so a require the serialiser cannot carry shows here.
 */
export async function serialisedConnectorProvider(): Promise<pulumi.dynamic.ResourceProvider> {
  const { installMocks, settle } = await import("../../components/testing/mocks");
  const run = installMocks("it", {});
  const { DebeziumConnector } = await import("../../components/connect/connector");
  await run.runProgram(() => new DebeziumConnector("probe", { connect: { url: "http://127.0.0.1:1", ready: [] } as never, config: { name: "probe", "slot.name": "probe" } }));
  await settle();
  const text = String(run.one("pulumi-nodejs:dynamic/coexist:Connector").inputs.__provider);
  if (process.cwd() !== ROOT) throw new Error(`run the tests from ${ROOT}: the engine loads the provider from the project root`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const requireFromString = require("require-from-string") as (code: string) => { handler: unknown };
  const handler = requireFromString(text).handler;
  return (typeof handler === "function" ? handler() : handler) as pulumi.dynamic.ResourceProvider;
}
