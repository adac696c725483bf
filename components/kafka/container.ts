import * as pulumi from "@pulumi/pulumi";
import { DockerTarget, LOOPBACK } from "../runtime";
import type { KafkaAccess } from "./acls";
import { KAFKA_CONTROLLER_PORT, KAFKA_HOST, KAFKA_INTERNAL_PORT, KAFKA_LOCAL_PORT } from "./broker";
import { createContainerKafka } from "./container-auth";
import { KAFKA_BROKER_TYPE, KafkaEndpoint } from "./endpoint";

export interface KafkaContainerArgs {
  readonly target: DockerTarget;
  /** Host port of the loopback listener (the Pulumi kafka provider and developers use it). */
  readonly hostPort: number;
  /** KRaft cluster id; fixed per stack so a restarted container keeps its log dirs. */
  readonly clusterId: string;
  /** The clients' identities: each gets a generated SCRAM password and the ACLs of its description. */
  readonly access: KafkaAccess;
  /** "existing": the topics are not the stack's to create. @default "managed" */
  readonly topics?: "managed" | "existing";
}

/**
 * Kafka for dev and pr-<n>: one combined KRaft broker and controller in a container, SCRAM-SHA-512
 * on a private listener for the containers and one on loopback for Pulumi's kafka provider, every
 * client authorised by the ACLs of its description (container-auth.ts).
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
    const { ready, logins } = createContainerKafka(name, {
      target: args.target, host: KAFKA_HOST, internalPort: KAFKA_INTERNAL_PORT, controllerPort: KAFKA_CONTROLLER_PORT, localPort: KAFKA_LOCAL_PORT,
      hostPort: args.hostPort, clusterId: args.clusterId, access: args.access,
    }, { parent: this, retainOnDelete: opts.retainOnDelete });
    this.endpoint = {
      bootstrapServers: [internalBootstrap],
      topics: args.topics === "existing" ? undefined : { kind: "provider", bootstrapServers: [hostBootstrap], login: logins.admin },
      auth: { kind: "container", logins },
      ready,
    };
    this.registerOutputs({ internalBootstrap, hostBootstrap });
  }
}
