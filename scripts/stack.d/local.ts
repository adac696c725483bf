/**
 * The `local` stack: the Kubernetes target on the local data plane's API server (kwok nodes),
 * with the data plane's PostgreSQL, Kafka, Kafka Connect and MongoDB-wire store as external
 * services. Like a team with a DBA-owned database and a platform-owned Kafka, it declares the CDC
 * source and the topics as pre-existing; here the data plane plays the DBA and the platform team,
 * creating them with the same rendering functions the stack uses everywhere else.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { Client } from "pg";
import { quoteIdent } from "../../components/capture";
import { cdcSourceSql, dropCdcSourceSql, literal, readerGrantsSql } from "../../components/postgres/cdc-sql";
import { topicPlan } from "../../components/kafka/topics";
import { demoSchemaSql } from "../../components/postgres/server";
import { HEARTBEAT_TABLE, RECONCILER_USER } from "../../components/platform";
import type { PlatformConfig } from "../../components/platform-config";
import { DATAPLANE_SERVICES, DataplaneServices, readEnvFile } from "./dataplane-env";
import { ROOT } from "./engine";

/** The data plane's services and its Kubernetes control plane. */
export interface DataplaneEnv extends DataplaneServices {
  readonly KUBECONFIG: string;
  readonly DATAPLANE_DIR: string;
}

const REQUIRED: (keyof DataplaneEnv)[] = [...DATAPLANE_SERVICES, "KUBECONFIG"];

/** The data plane's env file with its control plane (`scripts/dataplane up --kubernetes` writes it). */
export function readDataplaneEnv(dir?: string): DataplaneEnv {
  return readEnvFile(REQUIRED, "the local stack runs on the local data plane: scripts/dataplane install --kubernetes && scripts/dataplane up --kubernetes", dir) as unknown as DataplaneEnv;
}

/** The `coexist:*` config of a local stack on this data plane: stacks/Pulumi.local.template.yaml, filled. */
export { localStackConfig, localStackFile } from "../../stacks/local-stack";

/**
 * What a DBA and a platform team would have created for a `cdcSource: existing` /
 * `topics: existing` stack: the reconciler's role, the heartbeat table, grants, publication and
 * slot (cdcSourceSql), and the topics (topicPlan), on the data plane. Idempotent.
 */
export async function prepareExistingSources(env: DataplaneEnv, c: PlatformConfig, reconcilerPassword: string): Promise<void> {
  const client = new Client({ connectionString: env.POSTGRES_URL, statement_timeout: 60_000 });
  await client.connect();
  try {
    // The data plane plays the application too: its tables come from the demo schema (idempotent).
    await client.query(demoSchemaSql());
    const role = quoteIdent(RECONCILER_USER);
    await client.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal(RECONCILER_USER)}) THEN CREATE ROLE ${role} LOGIN; END IF; END $$;`);
    await client.query(`ALTER ROLE ${role} LOGIN NOREPLICATION NOSUPERUSER PASSWORD ${literal(reconcilerPassword)}`);
    const [objects, slot] = cdcSourceSql({ captures: c.captures, heartbeatTable: HEARTBEAT_TABLE, user: c.postgres.debeziumUser, publicationName: c.postgres.publicationName, slotName: c.postgres.slotName });
    await client.query(objects);
    await client.query(slot);
    await client.query(readerGrantsSql(c.captures, RECONCILER_USER));
  } finally {
    await client.end();
  }
  const existing = new Set(kafkaTopics(env, ["--list"]).split("\n").map((s) => s.trim()));
  for (const t of topicPlan({ ...c.kafka, topicPrefix: c.topicPrefix, captures: c.captures, connectGroup: `${c.topicPrefix}-connect` })) {
    if (existing.has(t.name)) continue;
    kafkaTopics(env, ["--create", "--topic", t.name, "--partitions", String(t.partitions), "--replication-factor", String(t.replicationFactor), ...Object.entries(t.config).flatMap(([k, v]) => ["--config", `${k}=${v}`])]);
  }
}

/** Removes what prepareExistingSources created (after the connector is gone): slot, publication, topics. */
export async function removeExistingSources(env: DataplaneEnv, c: PlatformConfig): Promise<void> {
  const client = new Client({ connectionString: env.POSTGRES_URL, statement_timeout: 60_000 });
  await client.connect();
  try {
    await client.query(dropCdcSourceSql({ publicationName: c.postgres.publicationName, slotName: c.postgres.slotName }));
  } finally {
    await client.end();
  }
  const names = topicPlan({ ...c.kafka, topicPrefix: c.topicPrefix, captures: c.captures, connectGroup: `${c.topicPrefix}-connect` }).map((t) => t.name);
  const existing = new Set(kafkaTopics(env, ["--list"]).split("\n").map((s) => s.trim()));
  for (const name of names.filter((n) => existing.has(n))) kafkaTopics(env, ["--delete", "--topic", name]);
}

function kafkaTopics(env: DataplaneEnv, args: string[]): string {
  return execFileSync(path.join(ROOT, "scripts", "dataplane"), ["kafka-topics", ...args], {
    encoding: "utf8",
    env: { ...process.env, COEXIST_DATAPLANE_DIR: env.DATAPLANE_DIR },
    stdio: ["ignore", "pipe", "pipe"],
  });
}
