/**
 * Everything an ephemeral stack may leave behind, named from its config, and the comparison of
 * what is observed after a destroy with that footprint. Pure: ephemeral-inspect.ts observes.
 *
 * A leftover is anything carrying the stack's names, not only what the stack declared: a slot a
 * hand-registered connector created under the stack's prefix pins WAL all the same. Names are
 * matched with a boundary (`coexist_pr_4` owns `coexist_pr_4_x`, never `coexist_pr_42`).
 */
import type { PlatformConfig } from "../../components/platform-config";
import type { Flavour } from "./ephemeral-meta";

export interface Footprint {
  readonly stack: string;
  readonly flavour: Flavour;
  readonly slot: string;
  readonly publication: string;
  readonly topicPrefix: string;
  readonly connector: string;
  /** Kubernetes: the stack's namespace. */
  readonly namespace?: string;
  /** The read-model database, when the stack's MongoDB is external (it outlives the stack otherwise). */
  readonly mongoDatabase?: string;
}

export function footprintOf(c: PlatformConfig): Footprint {
  return {
    stack: c.stack,
    flavour: c.target,
    slot: c.postgres.slotName,
    publication: c.postgres.publicationName,
    topicPrefix: c.topicPrefix,
    connector: `${c.topicPrefix}-postgres-source`,
    namespace: c.kubernetes?.namespace,
    mongoDatabase: c.mongodb.mode === "external" ? c.mongodb.database : undefined,
  };
}

export interface Observed {
  /** undefined: not looked at (the service is the stack's own container, gone with it). */
  readonly slots?: readonly { readonly name: string; readonly active: boolean; readonly pid?: number | null }[];
  readonly publications?: readonly string[];
  readonly topics?: readonly string[];
  readonly groups?: readonly string[];
  readonly connectors?: readonly string[];
  readonly mongoDatabases?: readonly string[];
  readonly namespacePhase?: string;
  readonly kubeObjects?: readonly string[];
  readonly docker?: { readonly containers: readonly string[]; readonly volumes: readonly string[]; readonly networks: readonly string[] };
}

export interface Leftover {
  readonly kind: string;
  readonly name: string;
  readonly fix: string;
}

const owns = (base: string, name: string) => name === base || name.startsWith(`${base}_`);
const ownsTopic = (prefix: string, name: string) => name.startsWith(`${prefix}.`) || name.startsWith(`${prefix}-`) || name === `__debezium-heartbeat.${prefix}`;

export function leftovers(o: Observed, f: Footprint, pgWhere = "PostgreSQL"): Leftover[] {
  const out: Leftover[] = [];
  for (const s of (o.slots ?? []).filter((x) => owns(f.slot, x.name))) {
    out.push({
      kind: "replication slot",
      name: s.name,
      fix: s.active
        ? `still active (pid ${s.pid ?? "?"}): stop what reads it, then on ${pgWhere}: SELECT pg_drop_replication_slot('${s.name}');`
        : `it pins WAL until dropped; on ${pgWhere}: SELECT pg_drop_replication_slot('${s.name}');`,
    });
  }
  for (const p of (o.publications ?? []).filter((x) => owns(f.publication, x))) out.push({ kind: "publication", name: p, fix: `on ${pgWhere}: DROP PUBLICATION "${p}";` });
  for (const t of (o.topics ?? []).filter((x) => ownsTopic(f.topicPrefix, x))) out.push({ kind: "topic", name: t, fix: `kafka-topics --delete --topic ${t}` });
  for (const g of (o.groups ?? []).filter((x) => x.startsWith(`${f.topicPrefix}-`))) out.push({ kind: "consumer group", name: g, fix: `stop its consumers, then kafka-consumer-groups --delete --group ${g}` });
  for (const c of (o.connectors ?? []).filter((x) => x === f.connector || x.startsWith(`${f.topicPrefix}-`))) out.push({ kind: "connector", name: c, fix: `curl -X DELETE <connect>/connectors/${c}` });
  if (f.mongoDatabase && (o.mongoDatabases ?? []).includes(f.mongoDatabase)) out.push({ kind: "MongoDB database", name: f.mongoDatabase, fix: `db.getSiblingDB("${f.mongoDatabase}").dropDatabase()` });
  if (f.namespace && o.namespacePhase !== undefined) out.push({ kind: "Kubernetes namespace", name: `${f.namespace} (${o.namespacePhase})`, fix: `kubectl get all,cm,secret -n ${f.namespace}; kubectl delete namespace ${f.namespace}` });
  for (const k of o.kubeObjects ?? []) out.push({ kind: "Kubernetes object", name: k, fix: kubectlDelete(k) });
  for (const c of o.docker?.containers ?? []) out.push({ kind: "container", name: c, fix: `docker rm -f ${c}` });
  for (const v of o.docker?.volumes ?? []) out.push({ kind: "volume", name: v, fix: `docker volume rm ${v}` });
  for (const n of o.docker?.networks ?? []) out.push({ kind: "network", name: n, fix: `docker network rm ${n}` });
  return out;
}

/** `Kind ns/name` or `Kind name` → the kubectl command that deletes it. */
function kubectlDelete(object: string): string {
  const [kind, ref] = object.split(" ") as [string, string];
  const [ns, name] = ref.includes("/") ? (ref.split("/") as [string, string]) : [undefined, ref];
  return `kubectl delete ${kind.toLowerCase()} ${name}${ns ? ` -n ${ns}` : ""}`;
}

export function formatLeftovers(stack: string, list: readonly Leftover[]): string {
  if (list.length === 0) return `${stack}: 0 leftovers`;
  return [`${stack}: ${list.length} leftover${list.length === 1 ? "" : "s"}; the stack is kept so that a second destroy finishes the job once they are gone:`, ...list.map((l) => `  - ${l.kind} ${l.name}: ${l.fix}`)].join("\n");
}
