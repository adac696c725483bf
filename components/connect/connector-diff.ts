/**
 * Pure diff logic for the Debezium connector resource, shared by the dynamic provider and its tests.
 * Kept free of imports so the provider closure Pulumi serialises stays small.
 */

export interface ConnectorState {
  readonly connectUrl: string;
  readonly name: string;
  readonly config: Record<string, string>;
}

export interface FieldChange {
  readonly key: string;
  readonly kind: "add" | "update" | "delete";
  readonly replace: boolean;
  /** Old and new values as shown to a reviewer: secrets masked. */
  readonly from?: string;
  readonly to?: string;
}

const SENSITIVE_KEY = /(password|secret|token|credential|sasl\.jaas\.config|ssl\.key)/i;
const PROVIDER_REF = /^\$\{[a-z]+:[^}]+\}$/;

/** A literal secret (not a config-provider reference) under a sensitive key. */
export function isSensitiveLiteral(key: string, value: string): boolean {
  return SENSITIVE_KEY.test(key) && !PROVIDER_REF.test(value);
}

/** Shows a value for a reviewer: config-provider references are safe to show; other sensitive values are not. */
export function maskValue(key: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return isSensitiveLiteral(key, value) ? "[secret]" : value;
}

/**
 * Field-level changes between the applied and the desired connector config. Only keys we declare
 * are compared: Connect adds `name` and defaults to what it returns, and those must not show as diffs.
 */
export function diffConnectorConfig(
  applied: Record<string, string>,
  desired: Record<string, string>,
  replaceKeys: readonly string[],
): FieldChange[] {
  const keys = [...new Set([...Object.keys(applied), ...Object.keys(desired)])].sort();
  const changes: FieldChange[] = [];
  for (const key of keys) {
    const from = applied[key];
    const to = desired[key];
    if (from === to) continue;
    const kind = from === undefined ? "add" : to === undefined ? "delete" : "update";
    changes.push({ key, kind, replace: replaceKeys.includes(key), from: maskValue(key, from), to: maskValue(key, to) });
  }
  return changes;
}

/** Drops what the server adds to a config (its `name`, keys we never set) so a refresh shows no phantom diff. */
export function normaliseServerConfig(server: Record<string, string>, declared: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(declared)) {
    if (key in server) out[key] = String(server[key]);
  }
  return out;
}

export interface ConnectorStatus {
  readonly connector: { readonly state: string; readonly trace?: string };
  readonly tasks: readonly { readonly id: number; readonly state: string; readonly trace?: string }[];
}

/** What the wait loop should do next with a status. */
export function assessStatus(status: ConnectorStatus): { done: boolean; failedTasks: number[]; failure?: string } {
  if (status.connector.state === "FAILED") {
    return { done: false, failedTasks: [], failure: `connector FAILED: ${status.connector.trace ?? "no trace"}` };
  }
  const failedTasks = status.tasks.filter((t) => t.state === "FAILED").map((t) => t.id);
  const running = status.connector.state === "RUNNING" && status.tasks.length > 0 && status.tasks.every((t) => t.state === "RUNNING");
  return { done: running, failedTasks };
}

/** KIP-875: a stopped connector has no tasks, and only then may its offsets be reset. */
export function isStopped(status: ConnectorStatus): boolean {
  return status.connector.state === "STOPPED" && status.tasks.length === 0;
}

/**
 * A 404 from Connect that means "no such connector", as opposed to an endpoint this Connect does
 * not have (a worker older than Kafka 3.6 answers `PUT .../stop` with "HTTP 404 Not Found").
 */
export function isUnknownConnector(httpStatus: number, body: string): boolean {
  return httpStatus === 404 && /(Unknown connector|Connector .* not found)/.test(body);
}

/** One row of `pg_replication_slots` for the connector's slot, or undefined when the slot does not exist. */
export interface SlotState {
  readonly active: boolean;
  readonly activePid: number | null;
}

/** A dropped or inactive slot is released: the stack may drop it, a new connector may stream from it. */
export function isSlotReleased(slot: SlotState | undefined): boolean {
  return slot === undefined || !slot.active;
}

/** The error when a slot is still held after the bound: which slot, which backend, and how to proceed. */
export function slotHeldMessage(connector: string, slotName: string, slot: SlotState | undefined, waitedMs: number, lastError?: string): string {
  if (slot === undefined || lastError !== undefined) {
    return (
      `connector ${connector} was deleted, but whether replication slot "${slotName}" is released could not be checked ` +
      `within ${waitedMs / 1000}s: ${lastError ?? "no answer"}; fix: make PostgreSQL reachable from where Pulumi runs and retry, ` +
      `or raise slotReleaseTimeoutMs`
    );
  }
  const pid = slot.activePid ?? "unknown";
  return (
    `connector ${connector} was deleted, but replication slot "${slotName}" is still active (held by backend pid ${pid}) ` +
    `after ${waitedMs / 1000}s, so it cannot be dropped yet; fix: check what holds it ` +
    `(SELECT * FROM pg_stat_replication WHERE pid = ${pid}); if it is the deleted connector's task, ` +
    `SELECT pg_terminate_backend(${pid}) and retry, or raise slotReleaseTimeoutMs`
  );
}
