import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isSensitiveLiteral } from "../../components/connect/connector-diff";
import { connectorConfig, containersOf, describe, dockerEnv, get, isKube, isRecord, podSpec, Resource } from "../shapes";

/**
 * A credential in plain text where others read it. The engine hands a policy every value with
 * Pulumi secrets already unwrapped, so "plain text" is judged by structure, not by secretness:
 *
 * - connector config: anyone with the Connect REST API reads it (`GET /connectors/<name>/config`),
 *   so a sensitive key must hold a config-provider reference (`${file:...}`, `${secrets:...}`);
 * - Kubernetes container env: a literal `value` is in the pod spec for anyone who can read it, so a
 *   credential must come from `valueFrom.secretKeyRef`;
 * - Docker container env: `docker inspect` shows it, so a sensitively named variable must point to
 *   a file (`*_FILE`). A connection string with a password inside cannot be told from a Pulumi
 *   secret here (the worker's MONGODB_URL is one, as a Pulumi secret); the mock tests of the
 *   program (stacks/program.test.ts) assert that those are secrets.
 */

const SENSITIVE_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY)/i;
/** Names that hold where a secret is, not the secret. */
const REFERENCE_NAME = /_(FILE|PATH|REF|DIR)$/i;
/** scheme://user:password@host with a literal password (not an env or template reference). */
const CREDENTIAL_URL = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:(?!\$\{|\$\(|\{\{)[^@\s/]+@/i;
const REFERENCE_VALUE = /^(\$\{[^}]+\}|\{vault:\/\/[^}]+\}|\$\([A-Z_]+\))$/;
/** Worker and connector keys that configure the config providers themselves (class names, allowed paths). */
const PROVIDER_SETTING = /^config\.providers(\.|$)/;

export function hasCredentialUrl(value: string): boolean {
  return CREDENTIAL_URL.test(value);
}

function sensitiveLiteral(name: string, value: string): boolean {
  return SENSITIVE_NAME.test(name) && !REFERENCE_NAME.test(name) && value !== "" && !REFERENCE_VALUE.test(value);
}

export function plaintextSecrets(r: Resource): string[] {
  const out: string[] = [];
  const connector = connectorConfig(r);
  if (connector) {
    for (const [key, value] of Object.entries(connector)) {
      if (PROVIDER_SETTING.test(key)) continue;
      if (isSensitiveLiteral(key, value)) {
        out.push(`${describe(r)} has a literal value in its config key "${key}", readable by anyone with the Connect REST API; fix: reference it through a config provider, e.g. \${file:/kafka/secrets/postgres.properties:password}`);
      } else if (hasCredentialUrl(value)) {
        out.push(`${describe(r)} has a URL with a password in its config key "${key}"; fix: move the password into a config-provider reference`);
      }
    }
  }
  if (isKube(r, "kafka.strimzi.io", "KafkaConnect")) {
    const config = get(r.props, "spec", "config");
    for (const [key, value] of Object.entries(isRecord(config) ? config : {})) {
      if (typeof value === "string" && !PROVIDER_SETTING.test(key) && isSensitiveLiteral(key, value)) {
        out.push(`${describe(r)} has a literal value in its worker config key "${key}"; fix: read it through a config provider (\${secrets:<namespace>/<secret>:<key>})`);
      }
    }
  }
  const pod = podSpec(r);
  for (const c of pod ? containersOf(pod) : []) {
    for (const e of c.env) {
      if (typeof e.value !== "string" || e.valueFrom !== undefined) continue;
      if (sensitiveLiteral(e.name, e.value) || hasCredentialUrl(e.value)) {
        out.push(`${describe(r)} container ${c.name} sets ${e.name} to a literal value in its pod spec; fix: take it from a Secret (valueFrom.secretKeyRef)`);
      }
    }
  }
  if (r.type === "docker:index/container:Container") {
    for (const e of dockerEnv(r)) {
      if (sensitiveLiteral(e.name, e.value)) {
        out.push(`${describe(r)} sets ${e.name} to a literal value in its environment, which docker inspect shows; fix: upload it as a secret file and pass ${e.name}_FILE`);
      }
    }
  }
  return out;
}

export const noPlaintextSecrets: ResourceValidationPolicy = {
  name: "no-plaintext-secrets",
  description: "No credential in plain text in connector config or container env: config-provider references, secretKeyRef, or files.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const finding of plaintextSecrets(args)) reportViolation(finding);
  },
};
