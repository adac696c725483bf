import pg from "pg";
import { ConfigError } from "../runtime/config.js";

/**
 * The in-cluster slot probe: waits until one replication slot is released (inactive, or gone), as
 * the Strimzi offset reset and a destroy need before they go on, where PostgreSQL is reachable only
 * from inside the cluster (CloudNativePG on staging and prod). The stack's waiting resource runs it
 * as a one-off pod (components/connect/slot-probe-pod.ts) with the slot exporter's login role,
 * which has LOGIN and nothing else, and reads its verdict from the pod's termination message.
 *
 * | env                             | meaning                                                        |
 * |---------------------------------|----------------------------------------------------------------|
 * | `POSTGRES_URL`                  | secret; a login role (reading pg_replication_slots needs no grant) |
 * | `COEXIST_SLOTS`                 | the one slot to wait for                                       |
 * | `COEXIST_SLOT_WAIT_MS`          | bound on the wait, 1000 to 3600000                             |
 * | `COEXIST_SLOT_QUERY_TIMEOUT_MS` | bound on connecting and on each query; default 5000            |
 * | `COEXIST_SLOT_RESULT_FILE`      | where the verdict goes; default /dev/termination-log           |
 *
 * Exit 0: released; 1: still held, or unreadable, at the bound; 2: bad config.
 */

/** The verdict, one JSON line: the pod's termination message, read back by the provider. */
export interface SlotWaitResult {
  readonly slot: string;
  readonly released: boolean;
  /** The last reading: null when the slot does not exist (or could not be read). */
  readonly state: { readonly active: boolean; readonly activePid: number | null } | null;
  /** Why the slot could not be read at the bound, if it could not. */
  readonly error: string | null;
  readonly waitedMs: number;
}

export interface SlotWaitConfig {
  readonly postgresUrl: string;
  readonly slot: string;
  readonly waitMs: number;
  readonly queryTimeoutMs: number;
  readonly resultFile: string;
}

const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

export function parseSlotWaitEnv(env: NodeJS.ProcessEnv): SlotWaitConfig {
  const postgresUrl = env.POSTGRES_URL ?? "";
  if (!/^postgres(ql)?:\/\//.test(postgresUrl)) {
    // The URL carries a password: never echo it.
    throw new ConfigError("POSTGRES_URL", postgresUrl === "" ? null : "(hidden)", "set it to the slot exporter's postgres:// URL (a secret)");
  }
  const slot = (env.COEXIST_SLOTS ?? "").trim();
  if (!SLOT_NAME.test(slot)) throw new ConfigError("COEXIST_SLOTS", env.COEXIST_SLOTS ?? null, "set the one replication slot to wait for (lower-case letters, digits and underscores, at most 63)");
  return {
    postgresUrl,
    slot,
    waitMs: intEnv(env, "COEXIST_SLOT_WAIT_MS", undefined, 1_000, 3_600_000),
    queryTimeoutMs: intEnv(env, "COEXIST_SLOT_QUERY_TIMEOUT_MS", 5_000, 100, 60_000),
    resultFile: env.COEXIST_SLOT_RESULT_FILE || "/dev/termination-log",
  };
}

function intEnv(env: NodeJS.ProcessEnv, key: string, fallback: number | undefined, min: number, max: number): number {
  const raw = env[key];
  if ((raw === undefined || raw === "") && fallback !== undefined) return fallback;
  const n = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || n < min || n > max) throw new ConfigError(key, raw ?? null, `set an integer between ${min} and ${max}`);
  return n;
}

export type SlotReader = () => Promise<{ active: boolean; activePid: number | null } | undefined>;

/**
 * Reads the slot until it is released or the bound passes; a failed read is retried until then
 * (a failover, a restarting pooler) and reported only if it is the last word. Pure but for `read`.
 */
export async function waitSlotReleased(slot: string, read: SlotReader, waitMs: number, pollMs = 500, now: () => number = Date.now): Promise<SlotWaitResult> {
  const started = now();
  let state: SlotWaitResult["state"] = null;
  let error: string | null = null;
  for (;;) {
    try {
      const s = await read();
      state = s ?? null;
      error = null;
      if (s === undefined || !s.active) return { slot, released: true, state, error, waitedMs: now() - started };
    } catch (e) {
      // Kept short: the termination message holds 4096 bytes.
      error = String((e as Error).message ?? e).slice(0, 1_000);
    }
    if (now() - started >= waitMs) return { slot, released: false, state: error === null ? state : null, error, waitedMs: now() - started };
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** One bounded round trip per read, on a connection kept across reads (reconnected after a failure). */
export function slotReader(url: string, slot: string, timeoutMs: number): { read: SlotReader; close: () => Promise<void> } {
  let client: pg.Client | undefined;
  const connect = async (): Promise<pg.Client> => {
    if (client) return client;
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, statement_timeout: timeoutMs, application_name: "coexist-slot-probe" });
    c.on("error", () => undefined);
    await c.connect();
    client = c;
    return c;
  };
  return {
    async read() {
      try {
        const r = await (await connect()).query<{ active: boolean; active_pid: number | null }>("SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1", [slot]);
        const row = r.rows[0];
        return row === undefined ? undefined : { active: row.active, activePid: row.active_pid };
      } catch (e) {
        const c = client;
        client = undefined;
        await c?.end().catch(() => undefined);
        throw e;
      }
    },
    async close() {
      await client?.end().catch(() => undefined);
    },
  };
}
