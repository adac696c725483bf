/**
 * Looks at the real services for what an ephemeral stack left behind, and waits for the states the
 * teardown order depends on (the connector gone, its slot released). Each service is asked only
 * when the stack used it from outside (the local flavour's data plane); the Docker flavour's
 * PostgreSQL, Kafka and Connect are its own containers, gone with them, so there the containers,
 * volumes and networks are what is checked.
 */
import { execFileSync } from "node:child_process";
import { Client } from "pg";
import type { Footprint, Observed } from "./ephemeral-footprint";
import { kubeClient, namespacePhase, objectsLabelled } from "./ephemeral-kube";
import { connectFetch } from "./dataplane-env";

export interface Services {
  /** An admin connection to the PostgreSQL the stack's CDC source lives on. */
  readonly postgresUrl?: string;
  readonly kafkaBrokers?: readonly string[];
  /** SCRAM login for those brokers (the data plane's admin). @default none */
  readonly kafkaSasl?: KafkaSasl;
  readonly connectUrl?: string;
  readonly mongoUrl?: string;
  readonly kubeconfig?: string;
  /** Look at the local Docker engine's containers, volumes and networks. */
  readonly docker?: boolean;
}

/** The label every resource of a stack carries (components/runtime/target.ts stackLabels). */
export const STACK_LABEL = "coexist.dev/stack";

async function withPg<T>(url: string, f: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, statement_timeout: 30_000, connectionTimeoutMillis: 15_000 });
  await client.connect();
  try {
    return await f(client);
  } finally {
    await client.end();
  }
}

/** A SCRAM login as @platformatic/kafka takes it. */
export interface KafkaSasl {
  readonly mechanism: "SCRAM-SHA-512" | "SCRAM-SHA-256";
  readonly username: string;
  readonly password: string;
}

async function kafkaAdmin() {
  // The workers' Kafka client (root has none); loaded only when a stack's Kafka is looked at.
  const { Admin } = await import("../../workers/src/testing/deps.js");
  return Admin;
}

function docker(args: string[]): string[] {
  return execFileSync("docker", args, { encoding: "utf8", timeout: 30_000 }).split("\n").map((s) => s.trim()).filter(Boolean);
}

export async function observe(f: Footprint, s: Services): Promise<Observed> {
  const o: { -readonly [K in keyof Observed]: Observed[K] } = {};
  if (s.postgresUrl) {
    await withPg(s.postgresUrl, async (c) => {
      o.slots = (await c.query("SELECT slot_name AS name, active, active_pid AS pid FROM pg_replication_slots")).rows;
      o.publications = (await c.query("SELECT pubname FROM pg_publication")).rows.map((r: { pubname: string }) => r.pubname);
    });
  }
  if (s.kafkaBrokers) {
    const Admin = await kafkaAdmin();
    const admin = new Admin({ clientId: "coexist-ephemeral", bootstrapBrokers: [...s.kafkaBrokers], ...(s.kafkaSasl ? { sasl: { ...s.kafkaSasl } } : {}) });
    try {
      o.topics = await admin.listTopics({ includeInternals: false });
      o.groups = [...(await admin.listGroups()).keys()];
    } finally {
      await admin.close();
    }
  }
  if (s.connectUrl) {
    const res = await connectFetch(`${s.connectUrl}/connectors`);
    if (!res.ok) throw new Error(`GET ${s.connectUrl}/connectors: HTTP ${res.status}`);
    o.connectors = (await res.json()) as string[];
  }
  if (s.mongoUrl && f.mongoDatabase) {
    const { MongoClient } = await import("../../workers/src/testing/deps.js");
    const mongo = new MongoClient(s.mongoUrl, { serverSelectionTimeoutMS: 15_000 });
    try {
      o.mongoDatabases = (await mongo.db("admin").admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name);
    } finally {
      await mongo.close();
    }
  }
  if (s.kubeconfig && f.namespace) {
    const kube = kubeClient(s.kubeconfig);
    o.namespacePhase = await namespacePhase(kube, f.namespace);
    // Inside the namespace while it terminates: the namespace leftover already says so.
    o.kubeObjects = (await objectsLabelled(kube, STACK_LABEL, f.stack)).filter((k) => !k.includes(` ${f.namespace}/`) || o.namespacePhase === undefined);
  }
  if (s.docker) {
    const filter = `label=${STACK_LABEL}=${f.stack}`;
    o.docker = {
      containers: docker(["ps", "-a", "--filter", filter, "--format", "{{.Names}}"]),
      volumes: docker(["volume", "ls", "--filter", filter, "--format", "{{.Name}}"]),
      networks: docker(["network", "ls", "--filter", filter, "--format", "{{.Name}}"]),
    };
  }
  return o;
}

async function until<T>(timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Waits until Connect no longer knows the connector; returns what it still says on timeout. */
export async function waitConnectorGone(connectUrl: string, name: string, timeoutMs = 60_000): Promise<string | undefined> {
  let last = "";
  const gone = await until(timeoutMs, async () => {
    const res = await connectFetch(`${connectUrl}/connectors/${encodeURIComponent(name)}/status`);
    if (res.status === 404) return true;
    last = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
    return undefined;
  });
  return gone ? undefined : `connector ${name} is still registered on ${connectUrl} after ${timeoutMs / 1000}s (${last})`;
}

/** Waits until no process streams from the slot; returns who still does on timeout. */
export async function waitSlotInactive(postgresUrl: string, slot: string, timeoutMs = 60_000): Promise<string | undefined> {
  let last = "";
  const released = await until(timeoutMs, () => withPg(postgresUrl, async (c) => {
    const r = await c.query("SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1", [slot]);
    if (r.rows.length === 0 || r.rows[0].active === false) return true;
    last = `active, pid ${r.rows[0].active_pid}`;
    return undefined;
  }));
  return released ? undefined : `replication slot ${slot} is still ${last} after ${timeoutMs / 1000}s`;
}

/** Deletes the stack's consumer groups (the sync worker's offsets) where no member is left. */
export async function deleteGroups(brokers: readonly string[], prefix: string, sasl?: KafkaSasl): Promise<void> {
  const Admin = await kafkaAdmin();
  const admin = new Admin({ clientId: "coexist-ephemeral", bootstrapBrokers: [...brokers], ...(sasl ? { sasl: { ...sasl } } : {}) });
  try {
    const groups = [...(await admin.listGroups()).keys()].filter((g) => g.startsWith(`${prefix}-`));
    if (groups.length > 0) await admin.deleteGroups({ groups });
  } finally {
    await admin.close();
  }
}

export async function dropMongoDatabase(mongoUrl: string, database: string): Promise<void> {
  const { MongoClient } = await import("../../workers/src/testing/deps.js");
  const mongo = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 15_000 });
  try {
    await mongo.db(database).dropDatabase();
  } finally {
    await mongo.close();
  }
}
