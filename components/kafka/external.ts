import * as pulumi from "@pulumi/pulumi";
import { KafkaEndpoint } from "./endpoint";

export interface ExternalKafkaArgs {
  /** host:port of the brokers, as the workloads reach them (and Pulumi, to create the topics). */
  readonly bootstrapServers: readonly string[];
  /** The worker's SCRAM login. @default none: PLAINTEXT */
  readonly sasl?: { readonly mechanism: "SCRAM-SHA-512" | "SCRAM-SHA-256"; readonly username: string };
  /** "managed": the stack creates the topics through the admin API; "existing": the platform team did. @default "managed" */
  readonly topics?: "managed" | "existing";
  /** What the cluster waits for (an MSK cluster of the same program). @default none */
  readonly ready?: pulumi.Resource[];
}

/** An existing Kafka cluster (MSK, Confluent, the platform team's): no resource of its own, only the endpoint. */
export function externalKafka(name: string, args: ExternalKafkaArgs): KafkaEndpoint {
  if (args.bootstrapServers.length === 0) throw new Error(`${name}: no bootstrap servers; fix: list the brokers in coexist:kafka.external.bootstrapServers`);
  return {
    bootstrapServers: [...args.bootstrapServers],
    topics: args.topics === "existing" ? undefined : { kind: "provider", bootstrapServers: [...args.bootstrapServers] },
    auth: args.sasl ? { kind: "sasl", ...args.sasl } : { kind: "none" },
    ready: args.ready ?? [],
  };
}
