import { AtlasMongo, ConnectConfig, Environment, KafkaConfig, KubernetesSettings, MongoConfig, PostgresConfig, PUBLIC_SERVICE_TYPES, TargetKind } from "../components/platform-config";
import { ACCESS_LIST_FIX, admitsWholeInternet } from "../components/mongodb/access-list";
import { NS, Problems, show } from "./config-problems";

/**
 * The backing services' sections of the stack config (`coexist:postgres`, `kafka`, `connect`,
 * `mongodb`, `kong`) and the `coexist:kubernetes` section. Each service is either provisioned by
 * the stack or `external`: an existing endpoint, whose credentials are secrets.
 */

const IDENT = /^[a-z_][a-z0-9_]*$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:[0-9]{1,5}$/;
const QUANTITY = /^[0-9]+(Mi|Gi|Ti)$/;
const CONFIG_PROVIDER_REF = /^\$\{[a-z]+:[^}]+\}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/;
/** An image reference with an explicit tag or digest (never an implicit latest). */
export const IMAGE = /^[a-z0-9][a-z0-9._\-/:]*(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/;

interface Context {
  readonly stack: string;
  readonly env: Environment;
  readonly target: TargetKind;
  readonly ephemeral: boolean;
}

/** Each service's slice, its `mode` chosen here from the keys set and the target (stacks/config.ts pairs them with the target). */
export interface Services {
  readonly postgres: PostgresConfig;
  readonly kafka: KafkaConfig;
  readonly connect: ConnectConfig;
  readonly mongodb: MongoConfig;
  readonly kong: { readonly proxyPort: number };
}

export function parseServices(p: Problems, get: (key: string) => unknown, ctx: Context): Services {
  const postgres = parsePostgres(p, get("postgres"), ctx);
  const kafka = parseKafka(p, get("kafka"), ctx);
  const connect = parseConnect(p, get("connect"), ctx);
  const mongodb = parseMongo(p, get("mongodb"), ctx);
  const kg = p.object("kong", get("kong"), ["proxyPort", "adminPort"]);
  if (kg.adminPort !== undefined) p.add(`${NS}:kong.adminPort: the Admin API listens on the gateway's own loopback only and is published nowhere; fix: remove the key (kong/README.md says how to reach it)`);
  const kong = { proxyPort: p.port("kong.proxyPort", kg.proxyPort, 8000) };

  if (connect.mode === "external" && kafka.mode !== "external") {
    p.add(`${NS}:connect.external: an external Kafka Connect cluster works on its own Kafka, but ${NS}:kafka has no external; fix: set ${NS}:kafka.external.bootstrapServers to the brokers that Connect cluster uses`);
  }
  if (ctx.target === "docker") {
    for (const [key, v] of [["postgres", postgres], ["kafka", kafka], ["connect", connect], ["mongodb", mongodb]] as const) {
      if (v.mode !== "container") p.add(`${NS}:${key}: the docker target provisions every service on the local engine; fix: remove its external/atlas settings (point a kubernetes stack at existing services instead)`);
    }
  }
  return { postgres, kafka, connect, mongodb, kong };
}

function parsePostgres(p: Problems, value: unknown, ctx: Context): PostgresConfig {
  const pg = p.object("postgres", value, [
    "database", "port", "maxSlotWalKeepSize", "maxReplicationSlots", "maxWalSenders", "demoSchema", "slotName", "publicationName",
    "heartbeatIntervalMs", "debeziumUser", "external", "cdcSource", "instances", "storageSize", "generation",
  ]);
  const slotSuffix = ctx.stack.replace(/[^a-z0-9]/g, "_");
  const ex = p.optionalObject("postgres.external", pg.external, ["host", "port", "sslmode", "adminUser"]);
  const external = ex && {
    host: p.requiredString("postgres.external.host", ex.host, HOST, "the server's host name", "orders-db.abc123.eu-west-1.rds.amazonaws.com"),
    port: p.port("postgres.external.port", ex.port, 5432),
    sslmode: p.oneOf("postgres.external.sslmode", ex.sslmode, ["disable", "require", "verify-full"] as const) ?? "verify-full",
    adminUser: p.string("postgres.external.adminUser", ex.adminUser, "postgres", IDENT, "a role name"),
  };
  const cdcSource = p.oneOf("postgres.cdcSource", pg.cdcSource, ["managed", "existing"] as const) ?? "managed";
  if (cdcSource === "existing" && !external) {
    p.add(`${NS}:postgres.cdcSource: "existing" means a DBA created the CDC source on an external server, but ${NS}:postgres.external is not set; fix: set postgres.external, or remove cdcSource`);
  }
  // Every key is read whatever the mode, in this order, so each problem is reported once.
  const database = p.string("postgres.database", pg.database, "coexist", IDENT, "a lower-case SQL identifier");
  const port = p.port("postgres.port", pg.port, 15432);
  const server = {
    maxSlotWalKeepSize: p.string("postgres.maxSlotWalKeepSize", pg.maxSlotWalKeepSize, "2GB", /^[0-9]+(MB|GB|TB)$/, "a size such as 2GB (never -1: an unbounded slot can fill the disk)"),
    maxReplicationSlots: p.int("postgres.maxReplicationSlots", pg.maxReplicationSlots, 10, 1, 1000),
    maxWalSenders: p.int("postgres.maxWalSenders", pg.maxWalSenders, 10, 1, 1000),
  };
  const demoSchema = p.bool("postgres.demoSchema", pg.demoSchema, ctx.env === "dev" || ctx.env === "pr");
  const common = {
    database,
    slotName: p.string("postgres.slotName", pg.slotName, `coexist_${slotSuffix}`, /^[a-z0-9_]{1,63}$/, "lower-case letters, digits and _, at most 63 characters"),
    publicationName: p.string("postgres.publicationName", pg.publicationName, `coexist_${slotSuffix}`, IDENT, "a lower-case SQL identifier"),
    heartbeatIntervalMs: p.int("postgres.heartbeatIntervalMs", pg.heartbeatIntervalMs, 10_000, 1_000, 3_600_000),
    generation: p.int("postgres.generation", pg.generation, 0, 0, 4_294_967_295),
    debeziumUser: p.string("postgres.debeziumUser", pg.debeziumUser, "debezium", IDENT, "a lower-case role name"),
  };
  const instances = p.int("postgres.instances", pg.instances, ctx.ephemeral ? 1 : 3, 1, 9);
  const storageSize = p.string("postgres.storageSize", pg.storageSize, "20Gi", QUANTITY, "a size such as 20Gi");
  if (demoSchema && ctx.env !== "dev" && ctx.env !== "pr") {
    p.add(`${NS}:postgres.demoSchema: only dev and pr-<n> stacks load the demo schema, found true on ${ctx.env}; fix: remove the key (the application's migrations own the tables)`);
  }
  if (external) return { mode: "external", ...common, ...external, cdcSource };
  if (ctx.target === "docker") return { mode: "container", ...common, ...server, port, demoSchema };
  return { mode: "cnpg", ...common, ...server, instances, storageSize };
}

function parseKafka(p: Problems, value: unknown, ctx: Context): KafkaConfig {
  const kf = p.object("kafka", value, ["port", "partitions", "replicationFactor", "retentionHours", "external", "topics", "brokers", "storageSize"]);
  const ex = p.optionalObject("kafka.external", kf.external, ["bootstrapServers", "saslUser", "saslMechanism"]);
  const saslUser = ex && ex.saslUser !== undefined ? p.requiredString("kafka.external.saslUser", ex.saslUser, /^[A-Za-z0-9._@-]{1,128}$/, "the worker's Kafka user", "coexist-sync") : undefined;
  const saslMechanism = ex ? (p.oneOf("kafka.external.saslMechanism", ex.saslMechanism, ["SCRAM-SHA-512", "SCRAM-SHA-256"] as const) ?? "SCRAM-SHA-512") : "SCRAM-SHA-512";
  const external = ex && {
    bootstrapServers: p.stringList("kafka.external.bootstrapServers", ex.bootstrapServers, HOST_PORT, "host:port addresses"),
    ...(saslUser === undefined ? {} : { sasl: { mechanism: saslMechanism, username: saslUser } }),
  };
  if (external && external.bootstrapServers.length === 0) p.add(`${NS}:kafka.external.bootstrapServers: missing; fix: list the brokers, e.g. ["b-1.msk.example:9092"]`);
  const topics = p.oneOf("kafka.topics", kf.topics, ["managed", "existing"] as const) ?? "managed";
  if (topics === "existing" && !external) p.add(`${NS}:kafka.topics: "existing" applies to an external Kafka, but ${NS}:kafka.external is not set; fix: set kafka.external, or remove topics`);
  const brokers = p.int("kafka.brokers", kf.brokers, ctx.ephemeral ? 1 : 3, 1, 15);
  const defaultRf = ctx.target === "docker" ? 1 : Math.min(3, brokers);
  const port = p.port("kafka.port", kf.port, 19092);
  const common = {
    partitions: p.int("kafka.partitions", kf.partitions, 3, 1, 1000),
    replicationFactor: p.int("kafka.replicationFactor", kf.replicationFactor, defaultRf, 1, 7),
    retentionHours: p.int("kafka.retentionHours", kf.retentionHours, 168, 1, 24 * 365),
  };
  const storageSize = p.string("kafka.storageSize", kf.storageSize, "100Gi", QUANTITY, "a size such as 100Gi");
  if (ctx.target === "docker" && common.replicationFactor !== 1) p.add(`${NS}:kafka.replicationFactor: the docker target runs one broker, found ${common.replicationFactor}; fix: set it to 1 or remove it`);
  if (ctx.target === "kubernetes" && !external && common.replicationFactor > brokers) {
    p.add(`${NS}:kafka.replicationFactor: ${common.replicationFactor} replicas need as many brokers, and ${NS}:kafka.brokers is ${brokers}; fix: raise brokers or lower replicationFactor`);
  }
  if (ctx.env === "prod" && common.replicationFactor < 3) {
    p.add(`${NS}:kafka.replicationFactor: prod topics need 3 replicas (min.insync.replicas 2 survives one broker down), found ${common.replicationFactor}; fix: set it to 3 or more`);
  }
  if (external) return { mode: "external", ...common, ...external, topics };
  if (ctx.target === "docker") return { mode: "container", ...common, port };
  return { mode: "strimzi", ...common, brokers, storageSize };
}

function parseConnect(p: Problems, value: unknown, ctx: Context): ConnectConfig {
  const cn = p.object("connect", value, ["port", "external", "replicas", "image"]);
  const ex = p.optionalObject("connect.external", cn.external, ["url", "passwordRef", "user"]);
  const external = ex && {
    url: p.requiredString("connect.external.url", ex.url, /^https?:\/\/[^\s/]+(\/\S*)?$/, "the Connect REST URL", "http://connect.kafka.svc:8083"),
    passwordRef: p.requiredString(
      "connect.external.passwordRef", ex.passwordRef, CONFIG_PROVIDER_REF,
      "a config-provider reference the Connect cluster resolves to the Debezium password (never the password itself)", "'${file:/opt/secrets/postgres.properties:password}'",
    ),
    // A Connect REST API without credentials lets anyone who reaches it read the database password
    // back through a connector; with them, the password is the secret coexist:connectPassword.
    ...optional("user", p.optionalString("connect.external.user", ex.user, /^[^\s:]{1,128}$/, "the REST API's user (no spaces or colon)")),
  };
  if (typeof ex?.url === "string" && /^\w+:\/\/[^/]*@/.test(ex.url)) {
    p.add(`${NS}:connect.external.url: carries credentials in plain config; fix: remove them from the URL, set ${NS}:connect.external.user and pulumi config set --secret ${NS}:connectPassword`);
  }
  const image = ctx.target === "kubernetes" && !external
    ? p.requiredString("connect.image", cn.image, IMAGE, "the image Strimzi builds with the Debezium plugin and pushes", "registry.example.com/coexist/connect:3.6.1")
    : p.optionalString("connect.image", cn.image, IMAGE, "an image reference");
  if (cn.image !== undefined && (ctx.target === "docker" || external)) p.add(`${NS}:connect.image: only a Connect cluster provisioned on kubernetes is built; fix: remove the key`);
  const port = p.port("connect.port", cn.port, 18083);
  const replicas = p.int("connect.replicas", cn.replicas, ctx.ephemeral ? 1 : 2, 1, 16);
  if (external) return { mode: "external", ...external };
  if (ctx.target === "docker") return { mode: "container", port };
  return { mode: "strimzi", replicas, image: image ?? "" };
}

function parseMongo(p: Problems, value: unknown, ctx: Context): MongoConfig {
  const mg = p.object("mongodb", value, ["database", "port", "external", "atlas", "members", "storageSize"]);
  const ex = p.optionalObject("mongodb.external", mg.external, []);
  const at = p.optionalObject("mongodb.atlas", mg.atlas, ["projectId", "providerName", "regionName", "instanceSize", "accessList"]);
  let atlas: AtlasMongo | undefined;
  if (at) {
    const accessList = p.stringList("mongodb.atlas.accessList", at.accessList, CIDR, "IPv4 CIDR blocks");
    if (at.accessList === undefined || accessList.length === 0) {
      p.add(`${NS}:mongodb.atlas.accessList: missing; fix: list the CIDR blocks of the cluster's egress (NAT) addresses, e.g. ["203.0.113.10/32"]`);
    }
    for (const cidr of accessList) {
      if (admitsWholeInternet(cidr)) p.add(`${NS}:mongodb.atlas.accessList: ${cidr} opens the database to the whole internet; fix: ${ACCESS_LIST_FIX}`);
    }
    atlas = {
      projectId: p.requiredString("mongodb.atlas.projectId", at.projectId, /^[a-f0-9]{24}$/, "the Atlas project id (24 hex characters)", "5f1e2d3c4b5a69788796a5b4"),
      providerName: p.oneOf("mongodb.atlas.providerName", at.providerName, ["AWS", "GCP", "AZURE"] as const) ?? "AWS",
      regionName: p.string("mongodb.atlas.regionName", at.regionName, "EU_WEST_1", /^[A-Z0-9_]+$/, "an Atlas region name such as EU_WEST_1"),
      instanceSize: p.string("mongodb.atlas.instanceSize", at.instanceSize, "M30", /^M[0-9]+$/, "an Atlas instance size such as M30 (M10 or larger: backups and point-in-time restore need a dedicated tier)"),
      accessList,
    };
    if (/^M[0-5]$/.test(atlas.instanceSize)) p.add(`${NS}:mongodb.atlas.instanceSize: ${atlas.instanceSize} is a shared tier without point-in-time restore; fix: use M10 or larger`);
  }
  if (ex && at) p.add(`${NS}:mongodb: external and atlas are two different MongoDBs; fix: keep one`);
  if (ctx.env === "prod" && !at) p.add(`${NS}:mongodb.atlas: prod's read model runs on MongoDB Atlas, and it is not set; fix: set projectId, regionName, instanceSize and accessList`);
  if (at && ctx.target !== "kubernetes") p.add(`${NS}:mongodb.atlas: Atlas is for kubernetes stacks; fix: remove it`);
  if (ex && Object.keys(ex).length > 0) p.add(`${NS}:mongodb.external: takes no fields (its URL is the secret ${NS}:mongodbUrl), found ${show(ex)}`);
  const database = p.string("mongodb.database", mg.database, "coexist", /^[a-zA-Z0-9_-]{1,63}$/, "letters, digits, _ and -");
  const port = p.port("mongodb.port", mg.port, 27018);
  const members = p.int("mongodb.members", mg.members, ctx.ephemeral ? 1 : 3, 1, 7);
  const storageSize = p.string("mongodb.storageSize", mg.storageSize, "20Gi", QUANTITY, "a size such as 20Gi");
  if (ex) return { mode: "external", database };
  if (atlas) return { mode: "atlas", database, ...atlas };
  if (ctx.target === "docker") return { mode: "container", database, port };
  return { mode: "community", database, members, storageSize };
}

/** `{ [key]: value }` when the value is set, else nothing (optional fields stay absent rather than undefined). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export function parseKubernetes(p: Problems, value: unknown, stack: string, env: Environment): KubernetesSettings {
  const k = p.object("kubernetes", value, ["namespace", "context", "publicServiceType", "storageClass", "operators", "crds", "awaitOperators", "podSecurity", "monitoringNamespace", "egressCidrs", "operatorNamespace"]);
  const namespace = p.string("kubernetes.namespace", k.namespace, `coexist-${stack}`.slice(0, 63), DNS_LABEL, "a DNS label (lower-case letters, digits and -)");
  if (namespace.startsWith("kube-") || namespace === "default") p.add(`${NS}:kubernetes.namespace: "${namespace}" is a system namespace; fix: use the stack's own, e.g. coexist-${stack}`);
  const awaitOperators = p.bool("kubernetes.awaitOperators", k.awaitOperators, true);
  // Off only on a cluster where the operators cannot run (the test suite's API server with kwok
  // nodes); prod never deploys without knowing Kafka, Connect and the connector are Ready.
  if (!awaitOperators && env === "prod") {
    p.add(`${NS}:kubernetes.awaitOperators: prod waits for Kafka, Connect, the connector and the databases to be Ready, found false; fix: remove the key`);
  }
  return {
    namespace,
    context: p.optionalString("kubernetes.context", k.context, /^\S+$/, "a kubeconfig context name"),
    publicServiceType: p.oneOf("kubernetes.publicServiceType", k.publicServiceType, PUBLIC_SERVICE_TYPES) ?? "ClusterIP",
    storageClass: p.optionalString("kubernetes.storageClass", k.storageClass, DNS_LABEL, "a StorageClass name"),
    operators: p.oneOf("kubernetes.operators", k.operators, ["install", "skip"] as const) ?? "install",
    crds: p.oneOf("kubernetes.crds", k.crds, ["apply", "skip"] as const) ?? "apply",
    awaitOperators,
    podSecurity: p.oneOf("kubernetes.podSecurity", k.podSecurity, ["restricted", "baseline"] as const) ?? "restricted",
    monitoringNamespace: p.optionalString("kubernetes.monitoringNamespace", k.monitoringNamespace, DNS_LABEL, "a namespace name"),
  };
}
