import * as pulumi from "@pulumi/pulumi";
import { isSlotReleased, SlotState } from "./connector-diff";
import { DEFAULT_SLOT_RELEASE_TIMEOUT_MS, readSlot, waitSlotReleased } from "./connector-provider";
import { runSlotProbePod, SlotProbeOutcome, SlotProbePodSpec } from "./slot-probe-pod";
import { loadKubeCredentials } from "./strimzi-client";
import {
  connectorIdentity,
  DEFAULT_OFFSET_RESET_TIMEOUT_MS,
  identityChanges,
  kafkaConnectorApi,
  KafkaConnectorApi,
  resetKafkaConnectorOffsets,
  slotHeldAfterStopMessage,
  slotHeldAtDeleteInClusterMessage,
  UNREADABLE_IN_CLUSTER,
} from "./strimzi-offsets";

export interface OffsetsInputs {
  readonly namespace: string;
  /** The KafkaConnector's name (= the connector's name in Connect). */
  readonly connector: string;
  /** kubeconfig context; unset: the current one, as for the stack's Kubernetes provider. */
  readonly kubeContext?: string;
  /** connectorIdentity of the declared config: a change of any value runs the reset. */
  readonly identity: Record<string, string>;
  /** False where no operator runs (the local test cluster): nothing would answer, so nothing is asked. */
  readonly awaitOperators: boolean;
  readonly slotName?: string;
  /** A PostgreSQL URL (a secret) reachable from where Pulumi runs, to see the slot released. */
  readonly slotProbeUrl?: string;
  /**
   * Where PostgreSQL is reachable only in the cluster: the worker image and the slot exporter's
   * URL (a secret), for a probe pod in `namespace` that sees the slot released (slot-probe-pod.ts).
   * Used when slotProbeUrl is unset.
   */
  readonly inClusterProbeImage?: string;
  readonly inClusterProbeUrl?: string;
  readonly offsetResetTimeoutMs?: number;
  readonly slotReleaseTimeoutMs?: number;
}

export interface OffsetsOutputs extends OffsetsInputs {
  /** What the last create or update did with the offsets, in words. */
  readonly outcome: string;
}

const SETTINGS = ["kubeContext", "awaitOperators", "slotName", "slotProbeUrl", "inClusterProbeImage", "inClusterProbeUrl", "offsetResetTimeoutMs", "slotReleaseTimeoutMs"] as const;

/** How the provider reaches a KafkaConnector; tests replace it. */
export type ConnectorApiFactory = (p: OffsetsInputs) => KafkaConnectorApi;
const viaKubeconfig: ConnectorApiFactory = (p) => kafkaConnectorApi(loadKubeCredentials(p.kubeContext), p.namespace, p.connector);

/** How the provider runs the in-cluster slot probe; tests replace it. */
export type SlotProbeRunner = (kubeContext: string | undefined, spec: SlotProbePodSpec, waitMs: number) => Promise<SlotProbeOutcome>;
const probePod: SlotProbeRunner = (kubeContext, spec, waitMs) => runSlotProbePod(loadKubeCredentials(kubeContext), spec, waitMs);

/**
 * A waiting resource beside a Strimzi KafkaConnector, which is declared to depend on it:
 * - create: on a new stack there is no KafkaConnector yet and nothing to do; where one is already
 *   there (a stack from before this resource) with another identity, its offsets are reset;
 * - update, when the identity changed (a generation bump, another slot or database): runs the
 *   reset on the existing connector before the KafkaConnector is replaced (strimzi-offsets.ts);
 * - delete (a destroy, after the KafkaConnector is gone): waits until the replication slot is
 *   released, so the slot and publication are dropped only once the task let go of them.
 * The slot is read from where Pulumi runs when PostgreSQL is reachable there (slotProbeUrl), else
 * by a probe pod in the namespace (inClusterProbe*: CloudNativePG on staging and prod).
 */
export function strimziOffsetsProvider(connectorApi: ConnectorApiFactory = viaKubeconfig, runProbe: SlotProbeRunner = probePod): pulumi.dynamic.ResourceProvider {
  /** The in-cluster probe's spec, when there is no direct probe and the stack gave one. */
  const inCluster = (p: OffsetsInputs, namespace: string, slot: string): SlotProbePodSpec | undefined =>
    !p.slotProbeUrl && p.inClusterProbeImage && p.inClusterProbeUrl ? { namespace, image: p.inClusterProbeImage, url: p.inClusterProbeUrl, slot } : undefined;
  const reset = async (live: OffsetsInputs, settings: OffsetsInputs, changed: string[]): Promise<string> => {
    if (!settings.awaitOperators) {
      return `not reset (${changed.join(", ")} changed): awaitOperators is false, no operator would answer; reset the offsets by hand if one runs`;
    }
    const slotName = live.slotName;
    const probe = settings.slotProbeUrl;
    const pod = slotName === undefined ? undefined : inCluster(settings, live.namespace, slotName);
    const slotBound = settings.slotReleaseTimeoutMs ?? DEFAULT_SLOT_RELEASE_TIMEOUT_MS;
    const ref = `${live.namespace}/${live.connector}`;
    const result = await resetKafkaConnectorOffsets(connectorApi({ ...settings, namespace: live.namespace, connector: live.connector }), {
      timeoutMs: settings.offsetResetTimeoutMs ?? DEFAULT_OFFSET_RESET_TIMEOUT_MS,
      waitSlotReleased: probe && slotName
        ? (deadline) => waitSlotReleasedAfterStop(ref, probe, slotName, Math.min(deadline, Date.now() + slotBound), slotBound)
        : pod
          ? async (deadline) => {
            const waitMs = Math.max(1_000, Math.min(slotBound, deadline - Date.now()));
            const o = await runProbe(settings.kubeContext, pod, waitMs);
            if (!o.released) throw new Error(slotHeldAfterStopMessage(ref, pod.slot, o.state, waitMs, o.error, UNREADABLE_IN_CLUSTER));
          }
          : undefined,
    });
    return result === "absent" ? "nothing to reset: no KafkaConnector" : `reset (${changed.join(", ")} changed): stopped, offsets reset by the operator`;
  };
  return {
    async diff(_id: string, olds: OffsetsOutputs, news: OffsetsInputs): Promise<pulumi.dynamic.DiffResult> {
      const changed = identityChanges(olds.identity ?? {}, news.identity);
      const moved = olds.namespace !== news.namespace || olds.connector !== news.connector;
      const settings = SETTINGS.some((k) => olds[k] !== news[k]);
      return { changes: changed.length > 0 || moved || settings, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs: OffsetsInputs): Promise<pulumi.dynamic.CreateResult> {
      let outcome = "nothing to reset: no KafkaConnector yet";
      if (inputs.awaitOperators) {
        const live = await connectorApi(inputs).get();
        const changed = live === undefined ? [] : identityChanges(connectorIdentity(live.spec?.config ?? {}), inputs.identity);
        if (live !== undefined) outcome = changed.length === 0 ? "kept: the existing KafkaConnector has the same identity" : await reset(inputs, inputs, changed);
      } else {
        outcome = "not checked: awaitOperators is false";
      }
      return { id: `${inputs.namespace}/${inputs.connector}`, outs: { ...inputs, outcome } satisfies OffsetsOutputs };
    },

    async update(_id: string, olds: OffsetsOutputs, news: OffsetsInputs): Promise<pulumi.dynamic.UpdateResult> {
      const changed = identityChanges(olds.identity ?? {}, news.identity);
      // The connector that runs now is the old one: its name, namespace and slot.
      const outcome = changed.length > 0 ? await reset(olds, news, changed) : olds.outcome;
      return { outs: { ...news, outcome } satisfies OffsetsOutputs };
    },

    async delete(_id: string, props: OffsetsOutputs): Promise<void> {
      if (!props.slotName) return;
      const bound = props.slotReleaseTimeoutMs ?? DEFAULT_SLOT_RELEASE_TIMEOUT_MS;
      if (props.slotProbeUrl) return waitSlotReleased(props.connector, props.slotProbeUrl, props.slotName, Date.now() + bound, bound);
      const pod = inCluster(props, props.namespace, props.slotName);
      // Where no operator runs (awaitOperators false) no pod would run either: nothing to wait for.
      if (!pod || !props.awaitOperators) return;
      const o = await runProbe(props.kubeContext, pod, bound);
      if (!o.released) throw new Error(slotHeldAtDeleteInClusterMessage(props.connector, pod.slot, o.state, bound, o.error));
    },
  };
}

/**
 * Polls pg_replication_slots until the stopped connector's slot is inactive or gone (as the REST
 * provider's delete does, with the stop's wording in the error).
 */
async function waitSlotReleasedAfterStop(ref: string, probeUrl: string, slotName: string, deadline: number, bound: number): Promise<void> {
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
    if (Date.now() >= deadline) throw new Error(slotHeldAfterStopMessage(ref, slotName, slot, bound, lastError));
    await new Promise((r) => setTimeout(r, 250));
  }
}

export type StrimziConnectorOffsetsArgs = { readonly [K in keyof OffsetsInputs]: pulumi.Input<OffsetsInputs[K]> };

/** The dynamic resource itself: type `pulumi-nodejs:dynamic/coexist:StrimziConnectorOffsets`. */
export class StrimziConnectorOffsets extends pulumi.dynamic.Resource {
  declare readonly outcome: pulumi.Output<string>;

  constructor(name: string, props: StrimziConnectorOffsetsArgs, opts: pulumi.CustomResourceOptions) {
    super(strimziOffsetsProvider(), name, { ...props, outcome: undefined }, { ...opts, additionalSecretOutputs: ["slotProbeUrl", "inClusterProbeUrl"] }, "coexist", "StrimziConnectorOffsets");
  }
}
