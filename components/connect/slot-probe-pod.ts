import type { SlotWaitResult } from "../../workers/src/slot/wait";
import { SlotState } from "./connector-diff";
import { KubeCredentials, kubeRequest } from "./strimzi-client";

/**
 * Where PostgreSQL is reachable only from inside the cluster (CloudNativePG on staging and prod),
 * the Strimzi offset reset and a destroy see the replication slot released through a one-off pod:
 * the worker image's `node dist/slot/wait-main.js` (workers/src/slot/wait.ts), as the slot
 * exporter's login role (LOGIN and nothing else) and with the slot exporter's labels, so the
 * namespace's NetworkPolicies give it the exporter's egress to PostgreSQL and nothing more. Its
 * verdict comes back in the pod's termination message: no log access, no Service, no port.
 *
 * The URL goes in a Secret of its own, owned by the pod (the garbage collector removes it with
 * the pod); both are deleted when the wait ends, and a leftover of an interrupted run (same slot)
 * is deleted before the next one starts. A bare pod, not a Job: a Job's pods would be retried
 * and its status read through a second object, and the pod is deleted at once anyway.
 *
 * Like strimzi-client.ts, everything from npm and `node:` is required inside functions: this
 * module is serialised with the dynamic provider.
 */

export interface SlotProbePodSpec {
  readonly namespace: string;
  /** The worker image (it holds dist/slot/wait-main.js). */
  readonly image: string;
  /** The slot exporter's PostgreSQL URL, as the cluster reaches the server (a secret). */
  readonly url: string;
  readonly slot: string;
}

/** Labels of the probe's pod and Secret: the slot exporter's component (its NetworkPolicy edges), a name of its own, the slot. */
export function slotProbeLabels(slot: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "slot-probe",
    "app.kubernetes.io/component": "slot-exporter",
    "app.kubernetes.io/managed-by": "coexist",
    "coexist.dev/slot-probe": slot,
  };
}

/** The image's unprivileged user (workers/Dockerfile: USER node). */
const PROBE_UID = 1000;
/** How long a pod may take to be scheduled, pull its image and start, beyond the wait itself. */
export const SLOT_PROBE_START_GRACE_MS = 120_000;

/** The probe's pod: restricted Pod Security, no service-account token, the URL from its Secret. */
export function renderSlotProbePod(name: string, p: SlotProbePodSpec, waitMs: number): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: p.namespace, labels: slotProbeLabels(p.slot) },
    spec: {
      restartPolicy: "Never",
      activeDeadlineSeconds: Math.ceil((waitMs + SLOT_PROBE_START_GRACE_MS) / 1000),
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: PROBE_UID, runAsGroup: PROBE_UID, seccompProfile: { type: "RuntimeDefault" } },
      containers: [{
        name: "slot-probe",
        image: p.image,
        args: ["node", "dist/slot/wait-main.js"],
        env: [
          { name: "COEXIST_SLOTS", value: p.slot },
          { name: "COEXIST_SLOT_WAIT_MS", value: String(waitMs) },
          { name: "NODE_ENV", value: "production" },
          { name: "POSTGRES_URL", valueFrom: { secretKeyRef: { name, key: "POSTGRES_URL" } } },
        ],
        terminationMessagePolicy: "FallbackToLogsOnError",
        resources: { requests: { cpu: "10m", memory: "48Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
      }],
    },
  };
}

interface PodStatus {
  readonly phase?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly containerStatuses?: readonly {
    readonly state?: {
      readonly waiting?: { readonly reason?: string; readonly message?: string };
      readonly terminated?: { readonly exitCode?: number; readonly reason?: string; readonly message?: string };
    };
  }[];
}

/** The probe's outcome: the slot's last state, and why it could not be read if it could not. */
export interface SlotProbeOutcome {
  readonly released: boolean;
  readonly state: SlotState | undefined;
  readonly error?: string;
}

/** Where a pod stands, in one line: `Pending (slot-probe waiting: ImagePullBackOff: ...)`. */
export function describeProbePod(status: PodStatus | undefined): string {
  if (status === undefined) return "no pod";
  const c = status.containerStatuses?.[0]?.state;
  const parts = [status.phase ?? "no phase"];
  if (status.reason) parts.push(`${status.reason}${status.message ? `: ${status.message}` : ""}`);
  if (c?.waiting) parts.push(`slot-probe waiting: ${c.waiting.reason ?? "?"}${c.waiting.message ? `: ${c.waiting.message}` : ""}`);
  if (c?.terminated) parts.push(`slot-probe exited ${c.terminated.exitCode ?? "?"}${c.terminated.reason ? ` (${c.terminated.reason})` : ""}`);
  return parts.length === 1 ? parts[0]! : `${parts[0]} (${parts.slice(1).join("; ")})`;
}

/** Reads the verdict from a finished pod's termination message. */
export function probeOutcome(status: PodStatus): SlotProbeOutcome {
  const message = status.containerStatuses?.[0]?.state?.terminated?.message ?? "";
  let result: SlotWaitResult | undefined;
  try {
    result = JSON.parse(message) as SlotWaitResult;
  } catch {
    result = undefined;
  }
  if (result === undefined || typeof result.released !== "boolean") {
    return { released: false, state: undefined, error: `the probe pod ended ${describeProbePod(status)} without a verdict${message ? `: ${message.slice(-500)}` : ""}` };
  }
  return { released: result.released, state: result.state ?? undefined, error: result.error ?? undefined };
}

/**
 * Runs the probe pod and waits for its verdict. Throws (naming the pod and its status) when the
 * pod does not finish by `waitMs` plus the start grace; otherwise returns what it found.
 */
export async function runSlotProbePod(creds: KubeCredentials, p: SlotProbePodSpec, waitMs: number, pollMs = 1_000): Promise<SlotProbeOutcome> {
  const { randomBytes } = require("node:crypto") as typeof import("node:crypto");
  const ns = encodeURIComponent(p.namespace);
  const name = `slot-probe-${p.slot.replace(/_/g, "-").slice(0, 40)}-${randomBytes(3).toString("hex")}`.replace(/-+/g, "-");
  const labels = slotProbeLabels(p.slot);
  const selector = encodeURIComponent(Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(","));
  const call = async (method: string, path: string, body?: unknown, ok: number[] = [200, 201], contentType?: string) => {
    const res = await kubeRequest(creds, method, path, body, contentType);
    if (!ok.includes(res.status)) throw new Error(`${method} ${path} on ${creds.server} (context ${creds.context}): HTTP ${res.status}: ${res.body.slice(0, 500)}`);
    return res;
  };
  const pods = `/api/v1/namespaces/${ns}/pods`;
  const secrets = `/api/v1/namespaces/${ns}/secrets`;
  // A leftover of an interrupted run would hold a Secret with the URL: gone first.
  for (const [kind, path] of [["pod", pods], ["secret", secrets]] as const) {
    const list = JSON.parse((await call("GET", `${path}?labelSelector=${selector}`)).body) as { items: { metadata: { name: string } }[] };
    for (const old of list.items) await call("DELETE", `${path}/${encodeURIComponent(old.metadata.name)}${kind === "pod" ? "?gracePeriodSeconds=0" : ""}`, undefined, [200, 202, 404]);
  }
  await call("POST", secrets, { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: p.namespace, labels }, type: "Opaque", stringData: { POSTGRES_URL: p.url } });
  try {
    const created = JSON.parse((await call("POST", pods, renderSlotProbePod(name, p, waitMs))).body) as { metadata: { uid: string } };
    await call("PATCH", `${secrets}/${name}`, { metadata: { ownerReferences: [{ apiVersion: "v1", kind: "Pod", name, uid: created.metadata.uid }] } }, [200], "application/merge-patch+json");
    const deadline = Date.now() + waitMs + SLOT_PROBE_START_GRACE_MS;
    let status: PodStatus | undefined;
    for (;;) {
      const res = await kubeRequest(creds, "GET", `${pods}/${name}`);
      if (res.status === 200) status = (JSON.parse(res.body) as { status?: PodStatus }).status;
      else if (res.status === 404) throw new Error(`the slot probe pod ${p.namespace}/${name} was deleted before it ended`);
      if (status?.phase === "Succeeded" || status?.phase === "Failed") return probeOutcome(status);
      if (Date.now() >= deadline) {
        throw new Error(`the slot probe pod ${p.namespace}/${name} did not end within ${(waitMs + SLOT_PROBE_START_GRACE_MS) / 1000}s: ${describeProbePod(status)}; ` +
          `fix: check that the namespace can run the worker image ${p.image} and that the slot exporter's NetworkPolicy lets it reach PostgreSQL (kubectl get events -n ${p.namespace}), then retry`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    await kubeRequest(creds, "DELETE", `${pods}/${name}?gracePeriodSeconds=0`).catch(() => undefined);
    await kubeRequest(creds, "DELETE", `${secrets}/${name}`).catch(() => undefined);
  }
}
