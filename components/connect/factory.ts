import * as pulumi from "@pulumi/pulumi";
import type { KafkaLogin } from "../kafka/container-auth";
import type { ConnectConfig } from "../platform-config";
import { dockerTargetFor, kubernetesTargetFor, Target } from "../runtime";
import { ConnectContainer } from "./container";
import { ConnectEndpoint } from "./endpoint";
import { externalConnect } from "./external";
import { ConnectStrimzi } from "./operator";

export interface ConnectForArgs {
  readonly target: Target;
  /** The Kafka cluster's bootstrap addresses, as the Connect workers reach them. */
  readonly bootstrapServers: readonly string[];
  /** Connect group id; also names the internal topics. */
  readonly groupId: string;
  /** Replication factor of the internal topics. */
  readonly replicationFactor: number;
  /** The Debezium role's password, which the provisioned workers hand to connectors by reference. @default none */
  readonly sourcePassword?: pulumi.Input<string>;
  /** Connect's KafkaUser on a Strimzi cluster. @default none */
  readonly kafkaAuth?: { readonly user: string; readonly cluster: string };
  /** Connect's SCRAM login on the Docker broker. @default none */
  readonly kafkaLogin?: KafkaLogin;
  /** An external REST API's password (coexist:connectPassword). @default none */
  readonly restPassword?: pulumi.Input<string>;
}

/** Kafka Connect from its slice of config: the one place that chooses the realisation. */
export function connectFor(name: string, config: ConnectConfig, args: ConnectForArgs, opts: pulumi.ComponentResourceOptions): ConnectEndpoint {
  const sourcePassword = (): pulumi.Input<string> => {
    if (args.sourcePassword === undefined) throw new Error(`${name}: the Connect workers hand the Debezium password to connectors and need it; fix: set coexist:debeziumPassword`);
    return args.sourcePassword;
  };
  const cluster = { bootstrapServers: args.bootstrapServers.join(","), groupId: args.groupId, replicationFactor: args.replicationFactor };
  switch (config.mode) {
    case "container":
      return new ConnectContainer(name, { ...cluster, target: dockerTargetFor(args.target, name), restHostPort: config.port, sourcePassword: sourcePassword(), kafkaLogin: args.kafkaLogin }, opts).endpoint;
    case "strimzi":
      return new ConnectStrimzi(name, { ...cluster, ...config, target: kubernetesTargetFor(args.target, name), sourcePassword: sourcePassword(), kafkaAuth: args.kafkaAuth }, opts).endpoint;
    case "external":
      return externalConnect(name, { ...config, password: args.restPassword });
  }
}
