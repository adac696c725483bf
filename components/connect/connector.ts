import * as pulumi from "@pulumi/pulumi";
import { isSensitiveLiteral } from "./connector-diff";
import { connectorProvider } from "./connector-provider";
import { KafkaConnect } from "./connect";

export interface DebeziumConnectorArgs {
  readonly connect: KafkaConnect;
  /** The rendered connector config (renderConnectorConfig); it carries only a reference to the password. */
  readonly config: Record<string, string>;
  /** Resources the connector needs first (slot, publication, grants, topics). A destroy deletes the connector before them. */
  readonly dependsOn?: pulumi.Resource[];
  /** @default 180000 */
  readonly readyTimeoutMs?: number;
  /**
   * A PostgreSQL URL, as a secret, reachable from where Pulumi runs. With it, a delete (destroy or
   * replacement) returns only once the connector's replication slot is inactive, so the slot can
   * be dropped or reused right after. Any login role will do: reading `pg_replication_slots` needs
   * no privilege. @default none: delete does not wait for the slot
   */
  readonly slotProbeUrl?: pulumi.Input<string>;
  /** Bound on a delete: stopping, resetting offsets and the slot's release. @default 60000 */
  readonly slotReleaseTimeoutMs?: number;
}

/** A Debezium connector registered on a Kafka Connect cluster, previewed field by field. */
export class DebeziumConnector extends pulumi.ComponentResource {
  readonly connectorName: pulumi.Output<string>;

  constructor(name: string, args: DebeziumConnectorArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:connect:DebeziumConnector", name, {}, opts);
    validateConnectorArgs(name, args);
    const connectorName = args.config["name"] ?? name;
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
      { parent: this, dependsOn: [...args.connect.ready, ...(args.dependsOn ?? [])], additionalSecretOutputs: ["slotProbeUrl"] },
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

function validateConnectorArgs(name: string, args: DebeziumConnectorArgs): void {
  for (const key of ["readyTimeoutMs", "slotReleaseTimeoutMs"] as const) {
    const v = args[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1_000)) {
      throw new Error(`DebeziumConnector ${name}: ${key} must be an integer number of milliseconds of at least 1000, got ${JSON.stringify(v)}; fix: e.g. 60000`);
    }
  }
}
