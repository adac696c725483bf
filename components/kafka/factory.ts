import * as pulumi from "@pulumi/pulumi";
import type { KafkaConfig } from "../platform-config";
import { dockerTargetFor, kubernetesTargetFor, Target } from "../runtime";
import type { KafkaAccess } from "./acls";
import { kraftClusterId } from "./broker";
import { KafkaContainer } from "./container";
import { KafkaEndpoint } from "./endpoint";
import { externalKafka } from "./external";
import { KafkaStrimzi } from "./strimzi";

export interface KafkaForArgs {
  readonly target: Target;
  /** The stack's name: it fixes the container's KRaft cluster id. */
  readonly stack: string;
  /** The stack's clients (Connect, the sync worker): the container realisation makes their SCRAM users and ACLs. */
  readonly access: KafkaAccess;
}

/** Kafka from its slice of config: the one place that chooses the realisation. */
export function kafkaFor(name: string, config: KafkaConfig, args: KafkaForArgs, opts: pulumi.ComponentResourceOptions): KafkaEndpoint {
  switch (config.mode) {
    case "container":
      return new KafkaContainer(name, { target: dockerTargetFor(args.target, name), hostPort: config.port, clusterId: kraftClusterId(args.stack), access: args.access }, opts).endpoint;
    case "strimzi":
      return new KafkaStrimzi(name, { ...config, target: kubernetesTargetFor(args.target, name) }, opts).endpoint;
    case "external":
      return externalKafka(name, config);
  }
}
