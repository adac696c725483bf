import * as pulumi from "@pulumi/pulumi";
import { ConnectEndpoint } from "./connect";
import { REPLACE_ON_CHANGE } from "./connector-config";
import { isSensitiveLiteral } from "./connector-diff";
import { connectorProvider } from "./connector-provider";
import { createKafkaConnector } from "./strimzi";
import { StrimziConnectorOffsets } from "./strimzi-offsets-provider";
import { connectorIdentity } from "./strimzi-offsets";

export interface DebeziumConnectorArgs {
  /** The Connect cluster it runs on (KafkaConnect.endpoint, or an external cluster's REST API). */
  readonly connect: ConnectEndpoint;
  /** The rendered connector config (renderConnectorConfig); it carries only a reference to the password. */
  readonly config: Record<string, string>;
  /** @default 180000 */
  readonly readyTimeoutMs?: number;
  /**
   * A PostgreSQL URL, as a secret, reachable from where Pulumi runs. With it, a delete (destroy or
   * replacement) returns only once the connector's replication slot is inactive, so the slot can
   * be dropped or reused right after. On Strimzi the offset reset before a replacement waits for
   * it too (between the stop and the reset), and a destroy waits for it once the KafkaConnector is
   * gone. Any login role will do: reading `pg_replication_slots` needs no privilege.
   * @default none: delete does not wait for the slot (on Strimzi, see inClusterSlotProbe)
   */
  readonly slotProbeUrl?: pulumi.Input<string>;
  /**
   * Strimzi, where PostgreSQL is reachable only in the cluster (CloudNativePG) and slotProbeUrl is
   * unset: the worker image and the slot exporter's URL (a secret), for a one-off pod in the
   * namespace that sees the slot released, as the slot exporter (slot-probe-pod.ts).
   * @default none: the reset waits only for STOPPED, a destroy not for the slot
   */
  readonly inClusterSlotProbe?: { readonly image: pulumi.Input<string>; readonly url: pulumi.Input<string> };
  /** Bound on a delete: stopping, resetting offsets and the slot's release. @default 60000 */
  readonly slotReleaseTimeoutMs?: number;
  /**
   * Strimzi: bound on the offset reset before a replacement (stopped, slot released, the operator
   * done with `strimzi.io/connector-offsets=reset`). @default 180000
   */
  readonly offsetResetTimeoutMs?: number;
}

/**
 * A Debezium connector, previewed field by field: registered on a Connect REST API by a dynamic
 * resource, or declared as a Strimzi KafkaConnector. Pass what it needs first (slot, publication,
 * grants, topics) as `dependsOn`: a destroy deletes the connector before them.
 */
export class DebeziumConnector extends pulumi.ComponentResource {
  readonly connectorName: pulumi.Output<string>;

  constructor(name: string, args: DebeziumConnectorArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:connect:DebeziumConnector", name, {}, opts);
    validateConnectorArgs(name, args);
    const connectorName = args.config["name"] ?? name;
    const dependsOn = withDependencies(args.connect.ready, opts.dependsOn);
    if (args.connect.kind === "strimzi") {
      const cr = declareStrimziConnector(name, args, args.connect, connectorName, opts, this);
      this.connectorName = cr.id.apply(() => connectorName);
      this.registerOutputs({ connectorName: this.connectorName });
      return;
    }
    const { name: _ignored, ...plain } = args.config;
    // A literal credential in a connector config (a SASL JAAS line, a key) is a Pulumi secret, so
    // previews mask it and state encrypts it; references such as ${file:...} stay readable.
    const config = Object.fromEntries(
      Object.entries(plain).map(([k, v]) => [k, isSensitiveLiteral(k, v) ? pulumi.secret(v) : v]),
    );
    const resource = new ConnectorRegistration(
      `${name}-registration`,
      {
        connectUrl: args.connect.url,
        name: connectorName,
        config,
        readyTimeoutMs: args.readyTimeoutMs,
        slotProbeUrl: args.slotProbeUrl === undefined ? undefined : pulumi.secret(args.slotProbeUrl),
        slotReleaseTimeoutMs: args.slotReleaseTimeoutMs,
      },
      { parent: this, dependsOn, additionalSecretOutputs: ["slotProbeUrl"] },
    );
    this.connectorName = resource.id.apply(() => connectorName);
    this.registerOutputs({ connectorName: this.connectorName });
  }
}

interface ConnectorRegistrationInputs {
  readonly connectUrl: pulumi.Input<string>;
  readonly name: pulumi.Input<string>;
  readonly config: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly readyTimeoutMs?: pulumi.Input<number>;
  readonly slotProbeUrl?: pulumi.Input<string>;
  readonly slotReleaseTimeoutMs?: pulumi.Input<number>;
}

/** The dynamic resource itself: type `pulumi-nodejs:dynamic/coexist:Connector`. */
class ConnectorRegistration extends pulumi.dynamic.Resource {
  constructor(name: string, props: ConnectorRegistrationInputs, opts: pulumi.CustomResourceOptions) {
    super(connectorProvider, name, props, opts, "coexist", "Connector");
  }
}

/**
 * The connector as a KafkaConnector, declared after the waiting resource that resets its offsets
 * before it becomes a different connector (a generation bump, another slot or database), so the
 * successor snapshots instead of resuming from them; on a destroy, that resource waits for the
 * slot once the KafkaConnector is gone (strimzi-offsets-provider.ts).
 */
function declareStrimziConnector(
  name: string,
  args: DebeziumConnectorArgs,
  connect: Extract<ConnectEndpoint, { kind: "strimzi" }>,
  connectorName: string,
  opts: pulumi.ComponentResourceOptions,
  parent: pulumi.Resource,
): pulumi.CustomResource {
  const t = connect.target;
  const offsets = new StrimziConnectorOffsets(`${name}-offsets`, {
    namespace: t.namespace,
    connector: connectorName,
    kubeContext: t.kubeContext,
    identity: connectorIdentity(args.config),
    awaitOperators: t.awaitOperators,
    slotName: args.config["slot.name"],
    slotProbeUrl: args.slotProbeUrl === undefined ? undefined : pulumi.secret(args.slotProbeUrl),
    inClusterProbeImage: args.slotProbeUrl === undefined ? args.inClusterSlotProbe?.image : undefined,
    inClusterProbeUrl: args.slotProbeUrl === undefined && args.inClusterSlotProbe ? pulumi.secret(args.inClusterSlotProbe.url) : undefined,
    offsetResetTimeoutMs: args.offsetResetTimeoutMs,
    slotReleaseTimeoutMs: args.slotReleaseTimeoutMs,
  }, { parent, dependsOn: withDependencies(connect.ready, opts.dependsOn) });
  return createKafkaConnector(`${name}-resource`, { target: t, connectCluster: connect.cluster, connectorName, config: args.config }, {
    parent,
    dependsOn: withDependencies([...connect.ready, offsets], opts.dependsOn),
    // A different replication stream is a different connector: the old one goes first (two on one slot lose changes).
    replaceOnChanges: REPLACE_ON_CHANGE.map((k) => `spec.config["${k}"]`),
  });
}

function validateConnectorArgs(name: string, args: DebeziumConnectorArgs): void {
  for (const key of ["readyTimeoutMs", "slotReleaseTimeoutMs", "offsetResetTimeoutMs"] as const) {
    const v = args[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1_000)) {
      throw new Error(`DebeziumConnector ${name}: ${key} must be an integer number of milliseconds of at least 1000, got ${JSON.stringify(v)}; fix: e.g. 60000`);
    }
  }
}

/** `extra` plus the component's own dependsOn, kept a plain list when it is one (as the engine reads it best). */
function withDependencies(extra: pulumi.Resource[], dependsOn: pulumi.ComponentResourceOptions["dependsOn"]): pulumi.CustomResourceOptions["dependsOn"] {
  if (dependsOn === undefined) return extra;
  if (Array.isArray(dependsOn)) return [...extra, ...dependsOn];
  if (pulumi.Resource.isInstance(dependsOn)) return [...extra, dependsOn];
  return pulumi.output(dependsOn as pulumi.Input<pulumi.Input<pulumi.Resource>[]>).apply((d) => [...extra, ...d]);
}
