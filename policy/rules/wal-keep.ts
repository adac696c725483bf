import type { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, filesOf, get, isKube, isRecord, list, Resource, TYPES } from "../shapes";

/**
 * Without `max_slot_wal_keep_size` a slot nobody reads (a dead connector, a forgotten stack) keeps
 * every WAL segment until the disk is full and the primary stops. With it, PostgreSQL invalidates
 * the slot instead, which the connector reports loudly. -1 (the default) means no cap.
 */
const SETTING = /max_slot_wal_keep_size\s*=\s*'?([^'\s]+)'?/;

function capOf(texts: readonly string[]): string | undefined {
  for (const t of texts) {
    const m = SETTING.exec(t);
    if (m) return m[1];
  }
  return undefined;
}

function isPostgresImage(image: unknown): boolean {
  const name = (String(image ?? "").split("/").pop() ?? "").split(/[:@]/)[0];
  return name === "postgres" || name === "postgresql";
}

export function uncappedSlotWal(r: Resource): string[] {
  let cap: string | undefined;
  let where: string;
  if (r.type === TYPES.dockerContainer && isPostgresImage(r.props.image)) {
    const args = [...list(r.props.command), ...list(r.props.entrypoints)].map(String);
    cap = capOf([...args, ...filesOf(r).map((f) => f.content)]);
    where = "its command (-c max_slot_wal_keep_size=...)";
  } else if (isKube(r, "postgresql.cnpg.io", "Cluster")) {
    const params = get(r.props, "spec", "postgresql", "parameters");
    const v = isRecord(params) ? params.max_slot_wal_keep_size : undefined;
    cap = v === undefined ? undefined : String(v);
    where = "spec.postgresql.parameters.max_slot_wal_keep_size";
  } else {
    return [];
  }
  if (cap === undefined) return [`${describe(r)} runs PostgreSQL without max_slot_wal_keep_size: an abandoned replication slot keeps WAL until the disk fills; fix: set it in ${where}, e.g. 2GB`];
  if (cap === "-1") return [`${describe(r)} sets max_slot_wal_keep_size to -1 (no cap): an abandoned replication slot keeps WAL until the disk fills; fix: a size such as 2GB in ${where}`];
  return [];
}

export const slotWalCapped: ResourceValidationPolicy = {
  name: "slot-wal-capped",
  description: "PostgreSQL servers the stack runs cap the WAL a replication slot may hold (max_slot_wal_keep_size).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const finding of uncappedSlotWal(args)) reportViolation(finding);
  },
};
