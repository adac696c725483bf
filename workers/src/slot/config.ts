import { ConfigError } from "../runtime/config.js";

/**
 * The slot exporter's configuration: everything from the environment, so a Docker container, a
 * Kubernetes Deployment or a systemd unit can run `node dist/slot/main.js` with no file.
 *
 * | env                            | meaning                                                             |
 * |--------------------------------|---------------------------------------------------------------------|
 * | `POSTGRES_URL`                 | secret; a login role with no privileges beyond LOGIN (see README)   |
 * | `COEXIST_SLOTS`                | comma-separated replication slot names to report, e.g. `coexist_dev` |
 * | `COEXIST_METRICS_PORT`         | default 9465                                                        |
 * | `COEXIST_METRICS_HOST`         | default 0.0.0.0                                                     |
 * | `COEXIST_SLOT_QUERY_TIMEOUT_MS`| bound on connecting and on the query, per scrape; default 5000      |
 */
export interface SlotExporterConfig {
  readonly postgresUrl: string;
  readonly slots: readonly string[];
  readonly port: number;
  readonly host: string;
  readonly queryTimeoutMs: number;
}

export const DEFAULT_SLOT_METRICS_PORT = 9465;
export const DEFAULT_SLOT_QUERY_TIMEOUT_MS = 5_000;

/** PostgreSQL's identifier rule for slot names: lower-case letters, digits and underscores, at most 63. */
const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

export function parseSlotExporterEnv(env: NodeJS.ProcessEnv): SlotExporterConfig {
  const postgresUrl = env.POSTGRES_URL;
  if (postgresUrl === undefined || postgresUrl === "") {
    throw new ConfigError("POSTGRES_URL", postgresUrl ?? null, "set it to a PostgreSQL URL of a login role (e.g. postgres://coexist_slot_reader:pass@host:5432/app); it is a secret");
  }
  try {
    const u = new URL(postgresUrl);
    if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error(`scheme ${u.protocol}`);
  } catch (e) {
    // The URL carries a password: name the problem, never echo the value.
    throw new ConfigError("POSTGRES_URL", "(hidden)", `it must be a postgres:// or postgresql:// URL (${(e as Error).message})`);
  }
  const rawSlots = env.COEXIST_SLOTS ?? "";
  const slots = rawSlots.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (slots.length === 0) throw new ConfigError("COEXIST_SLOTS", env.COEXIST_SLOTS ?? null, "set the replication slot names to report, comma-separated, e.g. coexist_dev");
  const bad = slots.find((s) => !SLOT_NAME.test(s));
  if (bad !== undefined) throw new ConfigError("COEXIST_SLOTS", bad, "a slot name has only lower-case letters, digits and underscores, at most 63 characters");
  return {
    postgresUrl,
    slots: [...new Set(slots)],
    port: intEnv(env, "COEXIST_METRICS_PORT", DEFAULT_SLOT_METRICS_PORT, 0, 65_535),
    host: env.COEXIST_METRICS_HOST ?? "0.0.0.0",
    queryTimeoutMs: intEnv(env, "COEXIST_SLOT_QUERY_TIMEOUT_MS", DEFAULT_SLOT_QUERY_TIMEOUT_MS, 100, 60_000),
  };
}

/**
 * The exporter's non-secret environment, rendered for a deployment (the stack adds POSTGRES_URL
 * as a secret). The inverse of parseSlotExporterEnv for everything but the URL.
 */
export function slotExporterEnv(input: { slots: readonly string[]; port?: number; queryTimeoutMs?: number }): Record<string, string> {
  const env: Record<string, string> = {
    COEXIST_SLOTS: input.slots.join(","),
    COEXIST_METRICS_PORT: String(input.port ?? DEFAULT_SLOT_METRICS_PORT),
    COEXIST_SLOT_QUERY_TIMEOUT_MS: String(input.queryTimeoutMs ?? DEFAULT_SLOT_QUERY_TIMEOUT_MS),
  };
  // Validates what was rendered, so a bad slot name fails where the stack renders it.
  parseSlotExporterEnv({ ...env, POSTGRES_URL: "postgresql://validate@localhost/validate" });
  return env;
}

function intEnv(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new ConfigError(key, raw, `set an integer between ${min} and ${max}`);
  return n;
}
