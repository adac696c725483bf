import * as pulumi from "@pulumi/pulumi";
import { deploy, DockerTarget, LOOPBACK } from "../runtime";
import { KAFKA_HOST, KAFKA_INTERNAL_PORT, kafkaService, KafkaServiceArgs } from "./broker";
import { KAFKA_BROKER_TYPE, KafkaEndpoint } from "./endpoint";

export interface KafkaContainerArgs extends KafkaServiceArgs {
  readonly target: DockerTarget;
  /** "existing": the topics are not the stack's to create. @default "managed" */
  readonly topics?: "managed" | "existing";
}

/**
 * Kafka for dev and pr-<n>: one combined KRaft broker and controller in a container, with a
 * private listener for the containers and one on loopback for Pulumi's kafka provider.
 */
export class KafkaContainer extends pulumi.ComponentResource {
  readonly endpoint: KafkaEndpoint;

  constructor(name: string, args: KafkaContainerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(KAFKA_BROKER_TYPE, name, {}, opts);
    if (!/^[A-Za-z0-9_-]{22}$/.test(args.clusterId)) {
      throw new Error(`KafkaContainer ${name}: clusterId must be a 22-character base64url KRaft id, got "${args.clusterId}"; fix: use kraftClusterId(stack)`);
    }
    const internalBootstrap = `${KAFKA_HOST}:${KAFKA_INTERNAL_PORT}`;
    const hostBootstrap = `${LOOPBACK}:${args.hostPort}`;
    const ready = deploy(`${name}-broker`, kafkaService(args), args.target, { parent: this, retainOnDelete: opts.retainOnDelete }).ready;
    this.endpoint = {
      bootstrapServers: [internalBootstrap],
      topics: args.topics === "existing" ? undefined : { kind: "provider", bootstrapServers: [hostBootstrap] },
      auth: { kind: "none" },
      ready,
    };
    this.registerOutputs({ internalBootstrap, hostBootstrap });
  }
}
