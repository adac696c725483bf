import type { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, get, isKube, isRecord, num, Resource, stackOf, TYPES } from "../shapes";
import { statefulReason } from "../stateful";

/** Policy config shared by the prod-only policies: which stacks are prod. */
export interface ProdConfig {
  /** @default ["prod"] */
  readonly prodStacks?: readonly string[];
}

export const PROD_CONFIG_SCHEMA = {
  properties: { prodStacks: { type: "array" as const, items: { type: "string" as const }, default: ["prod"] } },
};

export function isProd(urn: string, config: ProdConfig): boolean {
  return (config.prodStacks ?? ["prod"]).includes(stackOf(urn));
}

export function unprotectedStateful(r: Resource, config: ProdConfig): string[] {
  if (!isProd(r.urn, config)) return [];
  const reason = statefulReason(r);
  if (!reason || r.opts?.protect) return [];
  return [`${describe(r)} is not protected in ${stackOf(r.urn)} (${reason}); fix: pass protect: true (with retainOnDelete where losing it loses data)`];
}

export const prodStatefulProtected: ResourceValidationPolicy = {
  name: "prod-stateful-protected",
  description: "In prod, every resource that holds data is protected.",
  enforcementLevel: "mandatory",
  configSchema: PROD_CONFIG_SCHEMA,
  validateResource: (args, reportViolation) => {
    for (const finding of unprotectedStateful(args, args.getConfig<ProdConfig>())) reportViolation(finding);
  },
};

const MIN_RF = 3;
const MIN_ISR = 2;

/** RF under 3 loses acknowledged records with one broker; min.insync.replicas under 2 acknowledges writes one broker holds. */
export function weakReplication(r: Resource, config: ProdConfig): string[] {
  if (!isProd(r.urn, config)) return [];
  const out: string[] = [];
  const rf = (value: unknown, what: string, fix: string) => {
    const n = num(value);
    if (n !== undefined && n < MIN_RF) out.push(`${describe(r)} has ${what} ${n} in ${stackOf(r.urn)}; one broker lost loses acknowledged records; fix: ${fix} to ${MIN_RF}`);
  };
  const isr = (value: unknown, what: string) => {
    const n = num(value);
    if (n !== undefined && n < MIN_ISR) out.push(`${describe(r)} has ${what} ${n} in ${stackOf(r.urn)}: a write is acknowledged while one broker holds it; fix: set it to ${MIN_ISR}`);
  };
  if (isKube(r, "kafka.strimzi.io", "KafkaTopic")) {
    rf(get(r.props, "spec", "replicas"), "replicas", "set spec.replicas");
    isr(get(r.props, "spec", "config", "min.insync.replicas"), "min.insync.replicas");
  }
  if (r.type === TYPES.kafkaTopic) {
    rf(r.props.replicationFactor, "replicationFactor", "set replicationFactor");
    isr(get(r.props, "config", "min.insync.replicas"), "min.insync.replicas");
  }
  if (isKube(r, "kafka.strimzi.io", "Kafka")) {
    const c = get(r.props, "spec", "kafka", "config");
    const config = isRecord(c) ? c : {};
    for (const key of ["default.replication.factor", "offsets.topic.replication.factor", "transaction.state.log.replication.factor"]) rf(config[key], key, `set spec.kafka.config["${key}"]`);
    isr(config["min.insync.replicas"], "min.insync.replicas");
  }
  if (isKube(r, "kafka.strimzi.io", "KafkaNodePool")) {
    const roles = get(r.props, "spec", "roles");
    if (Array.isArray(roles) && roles.includes("broker")) rf(get(r.props, "spec", "replicas"), "broker replicas", "set spec.replicas (brokers)");
  }
  if (isKube(r, "kafka.strimzi.io", "KafkaConnect")) {
    const c = get(r.props, "spec", "config");
    const config = isRecord(c) ? c : {};
    for (const key of ["config.storage.replication.factor", "offset.storage.replication.factor", "status.storage.replication.factor"]) rf(config[key], key, `set spec.config["${key}"]`);
  }
  return out;
}

export const prodKafkaReplication: ResourceValidationPolicy = {
  name: "prod-kafka-replication",
  description: "In prod, Kafka topics and internal topics are replicated at least 3 times, with min.insync.replicas at least 2.",
  enforcementLevel: "mandatory",
  configSchema: PROD_CONFIG_SCHEMA,
  validateResource: (args, reportViolation) => {
    for (const finding of weakReplication(args, args.getConfig<ProdConfig>())) reportViolation(finding);
  },
};
