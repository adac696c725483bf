/**
 * Access to the local data plane started by `scripts/dataplane up`: its env
 * file, clients for PostgreSQL, Kafka, Kafka Connect and the MongoDB-wire
 * store, and polling with deadlines (never sleeps + timing assertions).
 */
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { connectFetch, connectUrlWithCredentials, DATAPLANE_SERVICES, DataplaneServices, readEnvFile } from "../../scripts/stack.d/dataplane-env";
import { Admin, MongoClient, pg } from "../../workers/src/testing/deps.js";

export const ROOT = join(__dirname, "..", "..");

/** Kafka's SCRAM users: the admin (a super user, for test setup) and the worker (the data plane's worker ACLs). */
export interface KafkaAuthEnv {
  readonly KAFKA_SASL_MECHANISM: string;
  readonly KAFKA_ADMIN_USER: string;
  readonly KAFKA_ADMIN_PASSWORD: string;
  readonly KAFKA_WORKER_USER: string;
  readonly KAFKA_WORKER_PASSWORD: string;
}
const KAFKA_AUTH_ENV: readonly (keyof KafkaAuthEnv)[] = ["KAFKA_SASL_MECHANISM", "KAFKA_ADMIN_USER", "KAFKA_ADMIN_PASSWORD", "KAFKA_WORKER_USER", "KAFKA_WORKER_PASSWORD"];

export type DataplaneEnv = DataplaneServices & KafkaAuthEnv;

export function loadDataplaneEnv(): DataplaneEnv {
  return readEnvFile([...DATAPLANE_SERVICES, ...KAFKA_AUTH_ENV], "run scripts/dataplane install && scripts/dataplane up first") as unknown as DataplaneEnv;
}

/** Polls `probe` until it returns a value other than undefined, or fails with the last observation. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message ?? String(last)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function connectRequest(env: DataplaneEnv, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await connectFetch(`${connectUrlWithCredentials(env)}${path}`, {
    method,
    headers: { "content-type": "application/json", accept: "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
}

/** Which of the data plane's Kafka users a client logs in as. */
export type KafkaIdentity = "admin" | "worker";

/** SASL options for a @platformatic/kafka client as `who` (the data plane's broker refuses anonymous clients). */
export function kafkaSasl(env: DataplaneEnv, who: KafkaIdentity = "admin"): { mechanism: "SCRAM-SHA-512"; username: string; password: string } {
  if (env.KAFKA_SASL_MECHANISM !== "SCRAM-SHA-512") throw new Error(`KAFKA_SASL_MECHANISM is ${JSON.stringify(env.KAFKA_SASL_MECHANISM)}; the data plane uses SCRAM-SHA-512 (re-run scripts/dataplane up)`);
  return who === "admin"
    ? { mechanism: "SCRAM-SHA-512", username: env.KAFKA_ADMIN_USER, password: env.KAFKA_ADMIN_PASSWORD }
    : { mechanism: "SCRAM-SHA-512", username: env.KAFKA_WORKER_USER, password: env.KAFKA_WORKER_PASSWORD };
}

/** `bootstrapBrokers` and `sasl` for a @platformatic/kafka client of the data plane's broker. */
export function kafkaClientOptions(env: DataplaneEnv, who: KafkaIdentity = "admin"): { bootstrapBrokers: string[]; sasl: ReturnType<typeof kafkaSasl> } {
  return { bootstrapBrokers: env.KAFKA_BROKERS.split(","), sasl: kafkaSasl(env, who) };
}

export function newAdmin(env: DataplaneEnv): InstanceType<typeof Admin> {
  return new Admin({ clientId: "coexist-it-admin", ...kafkaClientOptions(env) });
}

export function newPool(env: DataplaneEnv): InstanceType<typeof pg.Pool> {
  return new pg.Pool({ connectionString: env.POSTGRES_URL, max: 4 });
}

export async function newMongo(env: DataplaneEnv): Promise<InstanceType<typeof MongoClient>> {
  const client = new MongoClient(env.MONGODB_URL);
  await client.connect();
  return client;
}

/** Runs one of the data plane's Kafka CLI wrappers (`scripts/dataplane kafka-...`). */
export async function kafkaCli(tool: string, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(join(ROOT, "scripts", "dataplane"), [tool, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
