import * as pulumi from "@pulumi/pulumi";
import {
  assessStatus,
  ConnectorState,
  ConnectorStatus,
  diffConnectorConfig,
  isSlotReleased,
  isStopped,
  isUnknownConnector,
  normaliseServerConfig,
  slotHeldMessage,
  SlotState,
} from "./connector-diff";
import { REPLACE_ON_CHANGE } from "./connector-config";

/** How long create/update wait for the connector and its tasks to be RUNNING. */
export const DEFAULT_READY_TIMEOUT_MS = 180_000;
/** How long delete waits for the connector to stop, its offsets to be reset and its slot to be released. */
export const DEFAULT_SLOT_RELEASE_TIMEOUT_MS = 60_000;
/** Bound on every single call to Connect or PostgreSQL: a hung endpoint fails the step instead of hanging it. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface ProviderInputs extends ConnectorState {
  readonly readyTimeoutMs?: number;
  /**
   * A PostgreSQL URL (a secret) that delete uses to wait until the connector's `slot.name` is inactive. Any login role
   * will do: `pg_replication_slots` is readable without privileges. Without it, delete cannot know
   * when the task let go of the slot, and dropping the slot right after may fail with "is active".
   */
  readonly slotProbeUrl?: string;
  readonly slotReleaseTimeoutMs?: number;
}

/**
 * A Kafka Connect connector as a declarative resource, on Connect's REST API:
 * PUT /connectors/{name}/config for create and update (idempotent), a wait until the connector and
 * every task are RUNNING (restarting failed tasks once each), and a delete that leaves nothing a
 * successor could trip on: the connector is stopped, its source offsets are reset (KIP-875), its
 * replication slot is released, and only then is it deleted.
 */
export const connectorProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: ProviderInputs, news: ProviderInputs): Promise<pulumi.dynamic.DiffResult> {
    const changes = diffConnectorConfig(olds.config ?? {}, news.config, REPLACE_ON_CHANGE);
    const renamed = olds.name !== news.name;
    const moved = olds.connectUrl !== news.connectUrl;
    const settings = (["readyTimeoutMs", "slotProbeUrl", "slotReleaseTimeoutMs"] as const).some((k) => olds[k] !== news[k]);
    // Property paths: connector keys contain dots, so they are quoted.
    const replaces = [...changes.filter((c) => c.replace).map((c) => `config["${c.key}"]`), ...(renamed ? ["name"] : [])];
    return {
      changes: changes.length > 0 || renamed || moved || settings,
      replaces,
      // Two connectors on one replication slot interleave and lose changes: delete the old first.
      // The delete also resets the old connector's offsets, so the new one starts clean.
      deleteBeforeReplace: true,
    };
  },

  async create(inputs: ProviderInputs): Promise<pulumi.dynamic.CreateResult> {
    await putConfig(inputs);
    await waitRunning(inputs);
    return { id: inputs.name, outs: inputs };
  },

  async update(_id: string, olds: ProviderInputs, news: ProviderInputs): Promise<pulumi.dynamic.UpdateResult> {
    // Only a config change is sent to Connect: a PUT restarts the connector, which a new probe URL
    // or timeout does not need.
    if (diffConnectorConfig(olds.config ?? {}, news.config, []).length > 0 || olds.connectUrl !== news.connectUrl) await putConfig(news);
    await waitRunning(news);
    return { outs: news };
  },

  async read(id: string, props: ProviderInputs): Promise<pulumi.dynamic.ReadResult> {
    const res = await request("GET", `${props.connectUrl}/connectors/${encodeURIComponent(id)}/config`);
    if (res.status === 404) return { id: undefined as unknown as string, props: {} };
    if (!res.ok) throw new Error(`GET ${shown(props.connectUrl)}/connectors/${id}/config: HTTP ${res.status}: ${res.body}`);
    const server = JSON.parse(res.body) as Record<string, string>;
    return { id, props: { ...props, config: normaliseServerConfig(server, props.config) } };
  },

  async delete(id: string, props: ProviderInputs): Promise<void> {
    const bound = props.slotReleaseTimeoutMs ?? DEFAULT_SLOT_RELEASE_TIMEOUT_MS;
    const deadline = Date.now() + bound;
    const exists = await stopConnector(props.connectUrl, id, deadline);
    // A stopped connector's task may still be shutting down: wait for the slot before resetting
    // offsets, so the task's last offset commit cannot land after the reset.
    const slotName = props.config?.["slot.name"];
    if (props.slotProbeUrl && slotName) await waitSlotReleased(id, props.slotProbeUrl, slotName, deadline, bound);
    if (!exists) return;
    await resetOffsets(props.connectUrl, id, deadline);
    const res = await request("DELETE", `${props.connectUrl}/connectors/${encodeURIComponent(id)}`);
    if (!res.ok && !isUnknownConnector(res.status, res.body)) throw new Error(`DELETE ${shown(props.connectUrl)}/connectors/${id}: HTTP ${res.status}: ${res.body}`);
  },
};

/**
 * One call to Connect's REST API. A URL with user info (`http://user:password@host:8083`, a secret
 * input) becomes HTTP Basic credentials: fetch refuses credentials in a URL, and Connect's REST
 * API should require them (BasicAuthSecurityRestExtension).
 */
async function request(method: string, url: string, body?: unknown): Promise<{ ok: boolean; status: number; body: string }> {
  const u = new URL(url);
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (u.username !== "") {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`;
    u.username = "";
    u.password = "";
  }
  const res = await fetch(u, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { ok: res.ok, status: res.status, body: await res.text() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A URL as an error message may show it: without its credentials. */
function shown(url: string): string {
  return url.replace(/^(\w+:\/\/)[^/@]*@/, "$1");
}

async function putConfig(inputs: ProviderInputs): Promise<void> {
  const url = `${inputs.connectUrl}/connectors/${encodeURIComponent(inputs.name)}/config`;
  const res = await request("PUT", url, inputs.config);
  if (!res.ok) throw new Error(`PUT ${shown(url)}: HTTP ${res.status}: ${res.body}`);
}

async function waitRunning(inputs: ProviderInputs): Promise<void> {
  const base = `${inputs.connectUrl}/connectors/${encodeURIComponent(inputs.name)}`;
  const deadline = Date.now() + (inputs.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  const restarted = new Set<number>();
  let last = "no status yet";
  while (Date.now() < deadline) {
    const res = await request("GET", `${base}/status`);
    if (res.ok) {
      const status = JSON.parse(res.body) as ConnectorStatus;
      const verdict = assessStatus(status);
      if (verdict.done) return;
      if (verdict.failure) throw new Error(`connector ${inputs.name}: ${verdict.failure}`);
      for (const task of verdict.failedTasks) {
        if (restarted.has(task)) {
          const trace = status.tasks.find((t) => t.id === task)?.trace ?? "no trace";
          throw new Error(`connector ${inputs.name}: task ${task} FAILED again after a restart:\n${trace}`);
        }
        restarted.add(task);
        await request("POST", `${base}/tasks/${task}/restart`);
      }
      last = `connector ${status.connector.state}, tasks [${status.tasks.map((t) => `${t.id}:${t.state}`).join(", ")}]`;
    } else {
      last = `HTTP ${res.status}`;
    }
    await sleep(1000);
  }
  throw new Error(`connector ${inputs.name}: not RUNNING after ${(inputs.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS) / 1000}s (last status: ${last})`);
}

/** PUT /connectors/{name}/stop, then waits until Connect reports it STOPPED with no tasks. False when there is no such connector. */
async function stopConnector(connectUrl: string, name: string, deadline: number): Promise<boolean> {
  const base = `${connectUrl}/connectors/${encodeURIComponent(name)}`;
  const res = await request("PUT", `${base}/stop`);
  if (isUnknownConnector(res.status, res.body)) return false;
  if (res.status === 404 || res.status === 405) {
    throw new Error(
      `Kafka Connect at ${shown(connectUrl)} has no PUT /connectors/{name}/stop (found HTTP ${res.status}: ${res.body}); ` +
        `deleting ${name} without stopping it and resetting its offsets (KIP-875, Kafka 3.6+) would let a successor under the same ` +
        `name resume from its offsets; fix: upgrade Kafka Connect to 3.6 or newer`,
    );
  }
  if (!res.ok) throw new Error(`PUT ${shown(base)}/stop: HTTP ${res.status}: ${res.body}`);
  let last = "no status yet";
  while (Date.now() < deadline) {
    const s = await request("GET", `${base}/status`);
    if (isUnknownConnector(s.status, s.body)) return false;
    if (s.ok) {
      const status = JSON.parse(s.body) as ConnectorStatus;
      if (isStopped(status)) return true;
      last = `connector ${status.connector.state}, tasks [${status.tasks.map((t) => `${t.id}:${t.state}`).join(", ")}]`;
    } else {
      last = `HTTP ${s.status}`;
    }
    await sleep(250);
  }
  throw new Error(`connector ${name}: not STOPPED after PUT ${shown(base)}/stop (last status: ${last}); fix: check the Connect worker's log and retry`);
}

/** DELETE /connectors/{name}/offsets until GET shows none: a successor under the same name starts from a clean slate. */
async function resetOffsets(connectUrl: string, name: string, deadline: number): Promise<void> {
  const url = `${connectUrl}/connectors/${encodeURIComponent(name)}/offsets`;
  let last = "";
  while (Date.now() < deadline) {
    const del = await request("DELETE", url);
    if (isUnknownConnector(del.status, del.body)) return;
    if (del.ok) {
      const now = await request("GET", url);
      if (now.ok && (JSON.parse(now.body) as { offsets: unknown[] }).offsets.length === 0) return;
      last = `GET ${url}: HTTP ${now.status}: ${now.body}`;
    } else {
      // 400 while Connect still winds the task down ("must be in the STOPPED state"): retry.
      last = `DELETE ${url}: HTTP ${del.status}: ${del.body}`;
    }
    await sleep(250);
  }
  throw new Error(`connector ${name}: its source offsets could not be reset (${last}); a successor under the same name would resume from them; fix: retry the delete`);
}

/** Polls pg_replication_slots until the slot is inactive or gone; fails naming the slot and the backend holding it. */
export async function waitSlotReleased(connector: string, probeUrl: string, slotName: string, deadline: number, bound: number): Promise<void> {
  let slot: SlotState | undefined;
  let lastError: string | undefined;
  for (;;) {
    try {
      slot = await readSlot(probeUrl, slotName);
      lastError = undefined;
      if (isSlotReleased(slot)) return;
    } catch (e) {
      lastError = (e as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(slotHeldMessage(connector, slotName, slot, bound, lastError));
    await sleep(250);
  }
}

export async function readSlot(probeUrl: string, slotName: string): Promise<SlotState | undefined> {
  // Required here rather than imported: only a delete with a probe needs the driver, and the
  // provider module Pulumi serialises stays loadable without it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client({
    connectionString: probeUrl,
    connectionTimeoutMillis: REQUEST_TIMEOUT_MS,
    query_timeout: REQUEST_TIMEOUT_MS,
    application_name: "coexist-connector-provider",
  });
  await client.connect();
  try {
    const r = await client.query<{ active: boolean; active_pid: number | null }>("SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1", [slotName]);
    const row = r.rows[0];
    return row === undefined ? undefined : { active: row.active, activePid: row.active_pid };
  } finally {
    await client.end().catch(() => undefined);
  }
}
