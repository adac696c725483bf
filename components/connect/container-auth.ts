/**
 * Kafka Connect's login on the Docker broker (components/kafka/container-auth.ts): the worker and
 * every client it makes (producer, consumer, admin) speak SASL_PLAINTEXT with SCRAM-SHA-512 as
 * Connect's user.
 *
 * The password is in the JVM's JAAS file (`KafkaClient` section, read by every Kafka client whose
 * `sasl.jaas.config` is unset), beside the REST API's `KafkaConnect` section, in a secret file
 * outside the file config provider's allowed path. So it is neither in the worker's properties nor
 * its env (what `docker inspect` and GET /connectors/... show), and a connector config cannot
 * dereference it with `${file:...}` the way it could a `sasl.jaas.config=${file:...}` reference.
 */
import * as pulumi from "@pulumi/pulumi";
import type { KafkaLogin } from "../kafka/container-auth";

/** The debezium/connect image maps CONNECT_FOO_BAR to foo.bar: the worker's own clients, then each prefix. */
export function connectSaslEnv(mechanism = "SCRAM-SHA-512"): Record<string, string> {
  const env: Record<string, string> = {};
  for (const prefix of ["", "PRODUCER_", "CONSUMER_", "ADMIN_"]) {
    env[`CONNECT_${prefix}SECURITY_PROTOCOL`] = "SASL_PLAINTEXT";
    env[`CONNECT_${prefix}SASL_MECHANISM`] = mechanism;
  }
  return env;
}

/** The JAAS `KafkaClient` section: the login of every Kafka client in Connect's JVM. */
export function kafkaClientJaasSection(user: string, password: string): string {
  for (const [what, value] of [["user", user], ["password", password]] as const) {
    if (!/^[A-Za-z0-9._~-]+$/.test(value)) throw new Error(`Connect's Kafka login: the ${what} must be of [A-Za-z0-9._~-] to sit in a JAAS file unquoted-safe, got ${what === "user" ? JSON.stringify(value) : "another character"}`);
  }
  return `KafkaClient {
  org.apache.kafka.common.security.scram.ScramLoginModule required
  username="${user}"
  password="${password}";
};
`;
}

/** Connect's JAAS file: the REST API's section, plus the Kafka login when there is one (then the file is secret). */
export function connectJaasFile(restJaas: string, login: KafkaLogin | undefined): { content: pulumi.Input<string>; secret: boolean } {
  if (!login) return { content: restJaas, secret: false };
  return { content: pulumi.secret(login.password.apply((p) => `${restJaas}${kafkaClientJaasSection(login.user, p)}`)), secret: true };
}
