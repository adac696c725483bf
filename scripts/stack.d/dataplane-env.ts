/** The local data plane's env file (`scripts/dataplane up` writes it): light, so tests can import it. */
import * as fs from "node:fs";
import * as path from "node:path";
import { restUrlWithUserInfo } from "../../components/connect/rest-auth";

const ROOT = path.resolve(__dirname, "..", "..");

/** The data plane's env file as a map; `required` keys must be set, else the error names the fix. */
export function readEnvFile(required: readonly string[], fix: string, dir = process.env.COEXIST_DATAPLANE_DIR ?? path.join(ROOT, ".dataplane")): Record<string, string> {
  const file = path.join(dir, "env");
  if (!fs.existsSync(file)) throw new Error(`${file} not found; fix: ${fix}`);
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const m = /^export ([A-Z_]+)='(.*)'$/.exec(line);
    if (m) env[m[1] as string] = m[2] as string;
  }
  const missing = required.filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`${file} has no ${missing.join(", ")}; fix: ${fix}`);
  return env;
}

/** What `scripts/dataplane up` exports for its services (the PostgreSQL superuser, Kafka, Connect, the store). */
export interface DataplaneServices {
  readonly PGHOST: string;
  readonly PGPORT: string;
  readonly PGUSER: string;
  readonly PGDATABASE: string;
  readonly POSTGRES_URL: string;
  readonly KAFKA_BROKERS: string;
  readonly CONNECT_URL: string;
  /** Connect's REST API asks for these, as the stack's does. */
  readonly CONNECT_USER: string;
  readonly CONNECT_PASSWORD: string;
  readonly MONGODB_URL: string;
  readonly DEBEZIUM_USER: string;
  readonly DEBEZIUM_PASSWORD_REF: string;
}

export const DATAPLANE_SERVICES: readonly (keyof DataplaneServices)[] = [
  "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "POSTGRES_URL", "KAFKA_BROKERS", "CONNECT_URL", "CONNECT_USER", "CONNECT_PASSWORD", "MONGODB_URL", "DEBEZIUM_USER", "DEBEZIUM_PASSWORD_REF",
];

/** The data plane Connect's REST URL with its credentials as user info (a secret: never log it). */
export function connectUrlWithCredentials(env: { CONNECT_URL: string; CONNECT_USER?: string; CONNECT_PASSWORD?: string }): string {
  if (!env.CONNECT_USER || !env.CONNECT_PASSWORD) return env.CONNECT_URL;
  return restUrlWithUserInfo(env.CONNECT_URL, env.CONNECT_USER, env.CONNECT_PASSWORD);
}

/** fetch() for a Connect REST URL that may carry user info: sent as HTTP Basic (fetch refuses credentials in a URL). */
export function connectFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const u = new URL(url);
  const headers = new Headers(init.headers);
  if (u.username !== "") {
    headers.set("authorization", `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`);
    u.username = "";
    u.password = "";
  }
  return fetch(u, { ...init, headers });
}
