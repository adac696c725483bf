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
}

/** A Debezium connector registered on a Kafka Connect cluster, previewed field by field. */
export class DebeziumConnector extends pulumi.ComponentResource {
  readonly connectorName: pulumi.Output<string>;

  constructor(name: string, args: DebeziumConnectorArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:connect:DebeziumConnector", name, {}, opts);
    const connectorName = args.config["name"] ?? name;
    const { name: _ignored, ...plain } = args.config;
    // A literal credential in a connector config (a SASL JAAS line, a key) is a Pulumi secret, so
    // previews mask it and state encrypts it; references such as ${file:...} stay readable.
    const config = Object.fromEntries(
      Object.entries(plain).map(([k, v]) => [k, isSensitiveLiteral(k, v) ? pulumi.secret(v) : v]),
    );
    const resource = new ConnectorRegistration(
      `${name}-registration`,
      { connectUrl: args.connect.url, name: connectorName, config, readyTimeoutMs: args.readyTimeoutMs },
      { parent: this, dependsOn: [...args.connect.ready, ...(args.dependsOn ?? [])] },
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
}

/** The dynamic resource itself: type `pulumi-nodejs:dynamic/coexist:Connector`. */
class ConnectorRegistration extends pulumi.dynamic.Resource {
  constructor(name: string, props: ConnectorRegistrationInputs, opts: pulumi.CustomResourceOptions) {
    super(connectorProvider, name, props, opts, "coexist", "Connector");
  }
}
