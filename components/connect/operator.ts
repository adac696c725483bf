import * as pulumi from "@pulumi/pulumi";
import { KubernetesTarget } from "../runtime";
import { ConnectEndpoint, KAFKA_CONNECT_TYPE } from "./endpoint";
import { createStrimziConnect } from "./strimzi";

export interface ConnectStrimziArgs {
  readonly target: KubernetesTarget;
  /** Bootstrap servers of the Kafka cluster, comma-separated. */
  readonly bootstrapServers: string;
  /** Connect group id; also names the internal topics. */
  readonly groupId: string;
  /** The image Strimzi builds with the Debezium plugin and pushes (registry/repository:tag). */
  readonly image: string;
  /** Password of the database role the connectors use, read from a Secret through Strimzi's config provider. */
  readonly sourcePassword: pulumi.Input<string>;
  /** Connect workers. @default 2 */
  readonly replicas?: number;
  /** Replication factor of the internal topics. @default 1 */
  readonly replicationFactor?: number;
  /** Connect's KafkaUser and the Strimzi cluster whose CA it trusts. @default none: an unauthenticated client */
  readonly kafkaAuth?: { readonly user: string; readonly cluster: string };
}

/**
 * Kafka Connect on Kubernetes: a Strimzi KafkaConnect that builds its image with the Debezium
 * plugin (connect/strimzi.ts renders it); its connectors are KafkaConnector resources.
 */
export class ConnectStrimzi extends pulumi.ComponentResource {
  readonly endpoint: ConnectEndpoint;

  constructor(name: string, args: ConnectStrimziArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(KAFKA_CONNECT_TYPE, name, {}, opts);
    if (!args.image) throw new Error(`ConnectStrimzi ${name}: image is required (Strimzi pushes the built image there); fix: set coexist:connect.image`);
    const c = createStrimziConnect(name, {
      target: args.target,
      sourcePassword: args.sourcePassword,
      input: { replicas: args.replicas ?? 2, bootstrapServers: args.bootstrapServers, groupId: args.groupId, replicationFactor: args.replicationFactor ?? 1, image: args.image, kafkaAuth: args.kafkaAuth },
    }, { parent: this, dependsOn: opts.dependsOn });
    this.endpoint = { kind: "strimzi", target: args.target, cluster: c.name, passwordRef: c.passwordRef, ready: c.ready };
    this.registerOutputs({});
  }
}
