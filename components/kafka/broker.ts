import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { Target } from "../runtime";
import { KafkaAccess } from "./acls";
import { ContainerKafkaLogins, createContainerKafka } from "./container-auth";
import { createStrimziKafka } from "./strimzi";

export interface KafkaBrokerArgs {
  readonly target: Target;
  /** Host port of the loopback listener (the Pulumi kafka provider and developers use it). */
  readonly hostPort: number;
  /** KRaft cluster id; fixed per stack so a restarted container keeps its log dirs (Docker; Strimzi picks its own). */
  readonly clusterId: string;
  /** Kubernetes: brokers, each also a KRaft controller. @default 3 */
  readonly brokers?: number;
  /** Kubernetes: each broker's volume. @default "100Gi" */
  readonly storageSize?: string;
  /** Kubernetes: min.insync.replicas and the internal topics' replication follow it. @default 3 */
  readonly replicationFactor?: number;
  /** Docker (required there): the clients' identities; each gets a generated SCRAM password and the ACLs of its description. */
  readonly access?: KafkaAccess;
}

export const KAFKA_HOST = "kafka";
export const KAFKA_INTERNAL_PORT = 9092;
export const KAFKA_CONTROLLER_PORT = 9093;
/** Docker: the entrypoint's loopback listener (container-auth.ts). */
export const KAFKA_LOCAL_PORT = 9094;

/**
 * The Kafka cluster, KRaft only: a single combined broker + controller container on Docker; a
 * Strimzi `Kafka` with a dual-role `KafkaNodePool` on Kubernetes. Both authenticate (SCRAM-SHA-512)
 * and authorise every client (container-auth.ts, strimzi-auth.ts).
 */
export class KafkaBroker extends pulumi.ComponentResource {
  /** Bootstrap address for the stack's workloads. */
  readonly internalBootstrap: string;
  /** Docker: bootstrap address on 127.0.0.1 for the Pulumi engine and developers. */
  readonly hostBootstrap?: string;
  /** Kubernetes: the Strimzi cluster's name, which KafkaTopics and KafkaConnect refer to. */
  readonly strimziCluster?: string;
  /** Docker: the SCRAM logins of the admin, Connect and the sync worker (passwords are secrets). */
  readonly logins?: ContainerKafkaLogins;
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: KafkaBrokerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:kafka:KafkaBroker", name, {}, opts);
    if (!/^[A-Za-z0-9_-]{22}$/.test(args.clusterId)) {
      throw new Error(`KafkaBroker ${name}: clusterId must be a 22-character base64url KRaft id, got "${args.clusterId}"; fix: use kraftClusterId(stack)`);
    }
    if (args.target.kind === "kubernetes") {
      const cluster = createStrimziKafka(name, { ...args, target: args.target }, { parent: this, retainOnDelete: opts.retainOnDelete });
      this.internalBootstrap = cluster.bootstrap;
      this.strimziCluster = cluster.name;
      this.ready = cluster.ready;
    } else {
      if (!args.access) throw new Error(`KafkaBroker ${name}: access is required on docker (the clients' SCRAM users and ACLs); fix: pass kafkaAccess(...) of the stack`);
      this.internalBootstrap = `${KAFKA_HOST}:${KAFKA_INTERNAL_PORT}`;
      this.hostBootstrap = `127.0.0.1:${args.hostPort}`;
      const container = createContainerKafka(name, {
        target: args.target, host: KAFKA_HOST, internalPort: KAFKA_INTERNAL_PORT, controllerPort: KAFKA_CONTROLLER_PORT, localPort: KAFKA_LOCAL_PORT,
        hostPort: args.hostPort, clusterId: args.clusterId, access: args.access,
      }, { parent: this, retainOnDelete: opts.retainOnDelete });
      this.ready = container.ready;
      this.logins = container.logins;
    }
    this.registerOutputs({ internalBootstrap: this.internalBootstrap, hostBootstrap: this.hostBootstrap });
  }
}

/** A stable 22-character KRaft cluster id derived from the stack name. */
export function kraftClusterId(stack: string): string {
  return createHash("sha256").update(`coexist/${stack}`).digest("base64url").slice(0, 22);
}
