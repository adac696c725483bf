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

export type DataplaneEnv = DataplaneServices;

export function loadDataplaneEnv(): DataplaneEnv {
  return readEnvFile(DATAPLANE_SERVICES, "run scripts/dataplane install && scripts/dataplane up first") as unknown as DataplaneEnv;
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

export function newAdmin(env: DataplaneEnv): InstanceType<typeof Admin> {
  return new Admin({ clientId: "coexist-it-admin", bootstrapBrokers: env.KAFKA_BROKERS.split(",") });
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
