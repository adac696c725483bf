import * as pulumi from "@pulumi/pulumi";
import { Capture } from "../capture";
import { KafkaAccess, kafkaAccess } from "./acls";
import { KAFKA_SASL_MECHANISM, KafkaLogin } from "./container-auth";
import { KafkaEndpoint } from "./endpoint";
import { createStrimziKafkaUsers } from "./strimzi";
import { clusterCaSecret } from "./strimzi-auth";
import { connectInternalTopics } from "./topics";

/** The stack's two Kafka clients, named after its topic prefix: Connect (`<prefix>-connect`) and the sync worker (`<prefix>-sync`). */
export function stackKafkaAccess(topicPrefix: string, captures: readonly Capture[]): KafkaAccess {
  const connectGroup = `${topicPrefix}-connect`;
  return kafkaAccess({
    topicPrefix,
    captures,
    connect: { user: `${topicPrefix}-connect`, group: connectGroup, internalTopics: connectInternalTopics(connectGroup) },
    worker: { user: `${topicPrefix}-sync`, group: `${topicPrefix}-sync` },
  });
}

/** How the stack's Kafka clients (Connect, the sync worker) log in to one endpoint. */
export interface KafkaClients {
  /** The clients' KafkaUsers (Strimzi): Connect and the workers wait for them. */
  readonly users: pulumi.Resource[];
  /** Connect's KafkaUser and the cluster whose CA it trusts (Strimzi). @default none */
  readonly connectAuth?: { readonly user: string; readonly cluster: string };
  /** Connect's SCRAM login on the Docker broker. @default none */
  readonly connectLogin?: KafkaLogin;
  /** The worker's login as its config carries it: never a password. */
  readonly worker: { readonly sasl?: { readonly mechanism: "SCRAM-SHA-512" | "SCRAM-SHA-256"; readonly username: string }; readonly tls?: true };
  /** The worker's password and CA, straight from Secrets (never in its config or a preview). @default none */
  readonly workerSecretRefEnv?: Record<string, { readonly secret: string; readonly key: string }>;
  /** The worker's generated password (Docker: a secret file its container reads). @default none */
  readonly workerPassword?: pulumi.Output<string>;
}

/** The logins of `access`'s clients on `kafka`: the generated SCRAM users on Docker, KafkaUsers on Strimzi, the configured SCRAM user on an external cluster. */
export function kafkaClients(name: string, kafka: KafkaEndpoint, access: KafkaAccess, opts: { parent: pulumi.Resource }): KafkaClients {
  const auth = kafka.auth;
  switch (auth.kind) {
    case "none":
      return { users: [], worker: {} };
    case "container":
      // The ACLs are part of the broker's readiness (kafka.ready): no user resource to wait for.
      return {
        users: [],
        connectLogin: auth.logins.connect,
        worker: { sasl: { mechanism: KAFKA_SASL_MECHANISM, username: auth.logins.worker.user } },
        workerPassword: auth.logins.worker.password,
      };
    case "sasl":
      return { users: [], worker: { sasl: { mechanism: auth.mechanism, username: auth.username } } };
    case "strimzi":
      return {
        users: createStrimziKafkaUsers(name, { target: auth.target, cluster: auth.cluster, access }, { parent: opts.parent, dependsOn: kafka.ready }),
        connectAuth: { user: access.connect.user, cluster: auth.cluster },
        worker: { sasl: { mechanism: "SCRAM-SHA-512", username: access.worker.user }, tls: true },
        workerSecretRefEnv: {
          KAFKA_SASL_PASSWORD: { secret: access.worker.user, key: "password" },
          KAFKA_SSL_CA_PEM: { secret: clusterCaSecret(auth.cluster), key: "ca.crt" },
        },
      };
  }
}
