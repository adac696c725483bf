import { STRIMZI_API } from "../kafka/strimzi-api";
import { REPLACE_ON_CHANGE } from "./connector-config";
import { slotHeldMessage, SlotState } from "./connector-diff";
import { KubeCredentials, kubeRequest } from "./strimzi-client";

/**
 * Resetting a KafkaConnector's source offsets the way Strimzi (0.44 and later) offers it, for a
 * connector that is about to become a different one (a `coexist:postgres.generation` bump after a
 * restore or PITR, another slot or database): without it the successor resumes from the old
 * server's LSN and `trust_offset` moves the new slot forward to it, skipping changes silently.
 *
 * The sequence (Strimzi proposal 076, "Resetting offsets"): `spec.state: stopped`; wait until the
 * operator reports the connector STOPPED with no task; wait until the replication slot is released
 * (when PostgreSQL is reachable); annotate `strimzi.io/connector-offsets=reset`; wait until the
 * operator removes the annotation, which it does only once DELETE /connectors/{name}/offsets
 * succeeded (on failure it keeps it and sets a `Warning` condition with reason `ResetOffsets`).
 * The connector is left stopped: the KafkaConnector's own update, declared after this, brings the
 * new config with `state: running`. Resuming here would let the old config run on empty offsets
 * and write new ones before the successor starts.
 */

export const OFFSETS_ANNOTATION = "strimzi.io/connector-offsets";
/** How long the whole sequence may take by default: two operator reconciliations and a task shutdown. */
export const DEFAULT_OFFSET_RESET_TIMEOUT_MS = 180_000;

export interface KafkaConnectorCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

/** The parts of a KafkaConnector the sequence reads. */
export interface KafkaConnectorObject {
  readonly metadata: { readonly name: string; readonly generation?: number; readonly annotations?: Record<string, string> };
  readonly spec?: { readonly state?: string; readonly config?: Record<string, unknown> };
  readonly status?: {
    readonly observedGeneration?: number;
    /** Connect's GET /connectors/{name}/status, as the operator copied it. */
    readonly connectorStatus?: { readonly connector?: { readonly state?: string }; readonly tasks?: readonly unknown[] };
    readonly conditions?: readonly KafkaConnectorCondition[];
  };
}

/** Reads and merge-patches one KafkaConnector. */
export interface KafkaConnectorApi {
  /** Where it is, for messages: `namespace/name`. */
  readonly ref: string;
  get(): Promise<KafkaConnectorObject | undefined>;
  patch(patch: Record<string, unknown>): Promise<KafkaConnectorObject>;
}

/**
 * The connector settings whose change makes it a different connector: the same keys that replace
 * it on every realisation (REPLACE_ON_CHANGE, the generation's epoch stamp among them).
 */
export function connectorIdentity(config: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(REPLACE_ON_CHANGE.filter((k) => config[k] !== undefined).map((k) => [k, String(config[k])]));
}

/** The identity keys whose values differ. */
export function identityChanges(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string[] {
  return REPLACE_ON_CHANGE.filter((k) => before[k] !== after[k]);
}

/** The operator has seen the latest spec and Connect reports the connector STOPPED with no task left. */
export function isConnectorStopped(cr: KafkaConnectorObject): boolean {
  const s = cr.status;
  const seen = s?.observedGeneration !== undefined && s.observedGeneration >= (cr.metadata.generation ?? 0);
  return seen && s?.connectorStatus?.connector?.state === "STOPPED" && (s.connectorStatus.tasks ?? []).length === 0;
}

/** The reset is done once the operator removed the annotation it acts on. */
export function isResetDone(cr: KafkaConnectorObject): boolean {
  return cr.metadata.annotations?.[OFFSETS_ANNOTATION] === undefined;
}

/** What the operator last said about the reset (its Warning condition), if anything. */
export function resetWarning(cr: KafkaConnectorObject): string | undefined {
  const w = (cr.status?.conditions ?? []).find((c) => c.type === "Warning" && c.status === "True" && c.reason === "ResetOffsets");
  return w && (w.message ?? "no message");
}

/** A status in one line, for the errors: `generation 4 observed 3, connector RUNNING, 1 task(s)`. */
export function describeConnector(cr: KafkaConnectorObject | undefined): string {
  if (cr === undefined) return "no KafkaConnector";
  const s = cr.status;
  const parts = [
    `spec.state ${cr.spec?.state ?? "running"}`,
    `generation ${cr.metadata.generation ?? "?"} observed ${s?.observedGeneration ?? "never"}`,
    `connector ${s?.connectorStatus?.connector?.state ?? "no status"}`,
    `${(s?.connectorStatus?.tasks ?? []).length} task(s)`,
  ];
  const annotation = cr.metadata.annotations?.[OFFSETS_ANNOTATION];
  if (annotation !== undefined) parts.push(`${OFFSETS_ANNOTATION}=${annotation}`);
  const warning = resetWarning(cr);
  if (warning !== undefined) parts.push(`Warning ResetOffsets: ${warning}`);
  return parts.join(", ");
}

/** The fix when the slot could not be read from where Pulumi runs. */
export const UNREADABLE_FROM_PULUMI = "make PostgreSQL reachable from where Pulumi runs";
/** The fix when the in-cluster probe pod could not read it (slot-probe-pod.ts). */
export const UNREADABLE_IN_CLUSTER = "check that the slot exporter reads the slot (its /readyz, its role's login, its NetworkPolicy egress: the probe pod runs as it)";

/**
 * A destroy's error when the in-cluster probe found the slot held (the REST provider's words), or
 * could not read it (the probe's own fix).
 */
export function slotHeldAtDeleteInClusterMessage(connector: string, slotName: string, slot: SlotState | undefined, waitedMs: number, lastError?: string): string {
  if (slot !== undefined && lastError === undefined) return slotHeldMessage(connector, slotName, slot, waitedMs);
  return `connector ${connector} was deleted, but whether replication slot "${slotName}" is released could not be checked within ${waitedMs / 1000}s ` +
    `by the in-cluster probe: ${lastError ?? "no answer"}; fix: ${UNREADABLE_IN_CLUSTER} and retry, or raise slotReleaseTimeoutMs`;
}

/** The error when the stopped connector's slot is still held after the bound: which backend, and how to proceed. */
export function slotHeldAfterStopMessage(ref: string, slotName: string, slot: SlotState | undefined, waitedMs: number, lastError?: string, unreadableFix = UNREADABLE_FROM_PULUMI): string {
  const what = `KafkaConnector ${ref} was stopped for its offset reset, but`;
  if (slot === undefined || lastError !== undefined) {
    return `${what} whether replication slot "${slotName}" is released could not be checked within ${waitedMs / 1000}s: ${lastError ?? "no answer"}; ` +
      `its offsets were not reset; fix: ${unreadableFix} and retry, or raise slotReleaseTimeoutMs`;
  }
  const pid = slot.activePid ?? "unknown";
  return `${what} replication slot "${slotName}" is still active (held by backend pid ${pid}) after ${waitedMs / 1000}s, so its offsets ` +
    `were not reset (the task could still commit some); fix: check what holds it (SELECT * FROM pg_stat_replication WHERE pid = ${pid}); ` +
    `if it is the stopped connector's task, SELECT pg_terminate_backend(${pid}) and retry, or raise slotReleaseTimeoutMs`;
}

export interface ResetOptions {
  /** Bound on the whole sequence. */
  readonly timeoutMs: number;
  /** Waits until the connector's replication slot is inactive (by the deadline), when PostgreSQL is reachable. */
  readonly waitSlotReleased?: (deadline: number) => Promise<void>;
  /** @default 500 */
  readonly pollMs?: number;
  /** Each step as it starts: `stop`, `stopped`, `slot`, `annotate`, `reset`. */
  readonly onStep?: (step: ResetStep) => void;
}

export type ResetStep = "stop" | "stopped" | "slot" | "annotate" | "reset";

/**
 * Runs the sequence on the connector; "absent" when there is no KafkaConnector (nothing to reset).
 * Fails by the deadline naming the step the operator did not answer and the connector's last status.
 */
export async function resetKafkaConnectorOffsets(api: KafkaConnectorApi, o: ResetOptions): Promise<"reset" | "absent"> {
  const deadline = Date.now() + o.timeoutMs;
  const pollMs = o.pollMs ?? 500;
  const [ns, name] = api.ref.split("/");
  const fix = `fix: check that the Strimzi cluster operator runs and watches the namespace (kubectl get kafkaconnector ${name} -n ${ns} -o yaml), then retry; or raise offsetResetTimeoutMs`;
  const first = await api.get();
  if (first === undefined) return "absent";
  o.onStep?.("stop");
  if (first.spec?.state !== "stopped") await api.patch({ spec: { state: "stopped" } });
  await until(api, isConnectorStopped, deadline, pollMs, (last) =>
    `KafkaConnector ${api.ref}: not STOPPED ${o.timeoutMs / 1000}s after spec.state was set to stopped (${describeConnector(last)}); its offsets were not reset; ${fix}`);
  o.onStep?.("stopped");
  // The task's last offset commit must land before the reset, not after it: wait for its slot.
  if (o.waitSlotReleased) {
    o.onStep?.("slot");
    await o.waitSlotReleased(deadline);
  }
  o.onStep?.("annotate");
  await api.patch({ metadata: { annotations: { [OFFSETS_ANNOTATION]: "reset" } } });
  await until(api, isResetDone, deadline, pollMs, (last) =>
    `KafkaConnector ${api.ref}: the operator did not remove ${OFFSETS_ANNOTATION}=reset within ${o.timeoutMs / 1000}s, so its offsets are not known to be reset ` +
    `(${describeConnector(last)}); the connector stays stopped; ${fix}`);
  o.onStep?.("reset");
  return "reset";
}

async function until(
  api: KafkaConnectorApi,
  done: (cr: KafkaConnectorObject) => boolean,
  deadline: number,
  pollMs: number,
  timeout: (last: KafkaConnectorObject | undefined) => string,
): Promise<KafkaConnectorObject> {
  let last: KafkaConnectorObject | undefined;
  for (;;) {
    last = await api.get();
    if (last === undefined) throw new Error(`KafkaConnector ${api.ref} was deleted while its offsets were being reset; fix: retry`);
    if (done(last)) return last;
    if (Date.now() >= deadline) throw new Error(timeout(last));
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** The KafkaConnector `name` in `namespace` on the API server of `creds`. */
export function kafkaConnectorApi(creds: KubeCredentials, namespace: string, name: string): KafkaConnectorApi {
  const path = `/apis/${STRIMZI_API}/namespaces/${encodeURIComponent(namespace)}/kafkaconnectors/${encodeURIComponent(name)}`;
  const ref = `${namespace}/${name}`;
  return {
    ref,
    async get() {
      const res = await kubeRequest(creds, "GET", path);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw new Error(`GET KafkaConnector ${ref} on ${creds.server} (context ${creds.context}): HTTP ${res.status}: ${res.body}`);
      return JSON.parse(res.body) as KafkaConnectorObject;
    },
    async patch(patch) {
      const res = await kubeRequest(creds, "PATCH", `${path}?fieldManager=coexist-connector-offsets`, patch, "application/merge-patch+json");
      if (res.status !== 200) throw new Error(`PATCH KafkaConnector ${ref} ${JSON.stringify(patch)} on ${creds.server} (context ${creds.context}): HTTP ${res.status}: ${res.body}`);
      return JSON.parse(res.body) as KafkaConnectorObject;
    },
  };
}
