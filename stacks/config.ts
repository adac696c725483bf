import { Capture, TRANSFORMS, TransformName } from "../components/capture";
import { Environment, PlatformConfig, TARGETS } from "../components/platform-config";

/**
 * The typed stack configuration. `parseConfig` is pure: it takes the raw `coexist:*` values
 * exactly as Pulumi hands them to the program (strings, objects as JSON) and either returns a
 * `PlatformConfig` or throws a `ConfigError` listing every problem, each naming the key, the value
 * found and the fix. It runs before any resource is registered.
 */

export { TARGETS } from "../components/platform-config";
export type { Environment, PlatformConfig, TargetKind } from "../components/platform-config";

/** Secret keys: each must be set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["postgresPassword", "debeziumPassword", "mongodbPassword", "kongCredentials"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const NS = "coexist";
const KNOWN_KEYS = ["target", "environment", "protect", "capture", "topicPrefix", "postgres", "kafka", "connect", "mongodb", "kong", "workers", ...SECRET_KEYS];
const IDENT = /^[a-z_][a-z0-9_]*$/;
const QUALIFIED = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;

export function environmentOf(stack: string): Environment | undefined {
  if (stack === "dev" || stack === "staging" || stack === "prod") return stack;
  if (/^pr-[0-9]+$/.test(stack)) return "pr";
  return undefined;
}

/** Parses raw `coexist:*` config values (as from `pulumi.runtime.allConfig()`). */
export function parseConfig(raw: Readonly<Record<string, string>>, stack: string, secretKeys: readonly string[] = []): PlatformConfig {
  const p = new Problems();
  const get = (key: string): unknown => decode(raw[`${NS}:${key}`]);

  for (const full of Object.keys(raw)) {
    if (!full.startsWith(`${NS}:`)) continue;
    const key = full.slice(NS.length + 1);
    if (!KNOWN_KEYS.includes(key)) p.add(`${full}: unknown key; known keys are ${KNOWN_KEYS.map((k) => `${NS}:${k}`).join(", ")} (see Pulumi.yaml)`);
  }
  for (const key of SECRET_KEYS) {
    const full = `${NS}:${key}`;
    if (raw[full] !== undefined && !secretKeys.includes(full)) {
      p.add(`${full}: is stored in plain text; fix: pulumi config set --secret ${full} <value>`);
    }
  }

  const declared = get("environment");
  const environment = declared === undefined ? environmentOf(stack) : p.oneOf("environment", declared, ["dev", "pr", "staging", "prod"] as const);
  if (environment === undefined && declared === undefined) {
    p.add(`${NS}:environment: stack "${stack}" is not dev, staging, prod or pr-<n>; fix: name the stack so, or set ${NS}:environment`);
  }
  const env = environment ?? "dev";
  const ephemeral = env === "dev" || env === "pr";

  const target = p.oneOf("target", get("target"), TARGETS, { required: true }) ?? "docker";
  const protect = p.bool("protect", get("protect"), !ephemeral);
  if (env === "prod" && !protect) p.add(`${NS}:protect: prod must protect its stateful resources, found false; fix: remove the key or set it to true`);
  if (env === "prod" && target !== "kubernetes") p.add(`${NS}:target: prod runs on kubernetes, found "${target}"; fix: set ${NS}:target to kubernetes`);

  const captures = parseCaptures(p, get("capture"));
  const topicPrefix = p.string("topicPrefix", get("topicPrefix"), "coexist", /^[a-zA-Z0-9_-]+$/, "letters, digits, _ and -");

  const pg = p.object("postgres", get("postgres"));
  const slotSuffix = stack.replace(/[^a-z0-9]/g, "_");
  const postgres = {
    database: p.string("postgres.database", pg.database, "coexist", IDENT, "a lower-case SQL identifier"),
    port: p.port("postgres.port", pg.port, 15432),
    maxSlotWalKeepSize: p.string("postgres.maxSlotWalKeepSize", pg.maxSlotWalKeepSize, "2GB", /^[0-9]+(MB|GB|TB)$/, "a size such as 2GB (never -1: an unbounded slot can fill the disk)"),
    maxReplicationSlots: p.int("postgres.maxReplicationSlots", pg.maxReplicationSlots, 10, 1, 1000),
    maxWalSenders: p.int("postgres.maxWalSenders", pg.maxWalSenders, 10, 1, 1000),
    demoSchema: p.bool("postgres.demoSchema", pg.demoSchema, ephemeral),
    slotName: p.string("postgres.slotName", pg.slotName, `coexist_${slotSuffix}`, /^[a-z0-9_]{1,63}$/, "lower-case letters, digits and _, at most 63 characters"),
    publicationName: p.string("postgres.publicationName", pg.publicationName, `coexist_${slotSuffix}`, IDENT, "a lower-case SQL identifier"),
    heartbeatIntervalMs: p.int("postgres.heartbeatIntervalMs", pg.heartbeatIntervalMs, 10_000, 1_000, 3_600_000),
    generation: p.int("postgres.generation", pg.generation, 0, 0, 4_294_967_295),
  };
  if (postgres.demoSchema && !ephemeral) p.add(`${NS}:postgres.demoSchema: only dev and pr-<n> stacks load the demo schema, found true on ${env}; fix: remove the key (the application's migrations own the tables)`);

  const kf = p.object("kafka", get("kafka"));
  const kafka = {
    port: p.port("kafka.port", kf.port, 19092),
    partitions: p.int("kafka.partitions", kf.partitions, 3, 1, 1000),
    replicationFactor: p.int("kafka.replicationFactor", kf.replicationFactor, target === "docker" ? 1 : 3, 1, 7),
    retentionHours: p.int("kafka.retentionHours", kf.retentionHours, 168, 1, 24 * 365),
  };
  if (target === "docker" && kafka.replicationFactor !== 1) p.add(`${NS}:kafka.replicationFactor: the docker target runs one broker, found ${kafka.replicationFactor}; fix: set it to 1 or remove it`);

  const cn = p.object("connect", get("connect"));
  const mg = p.object("mongodb", get("mongodb"));
  const kg = p.object("kong", get("kong"));
  const wk = p.object("workers", get("workers"));
  const config: PlatformConfig = {
    stack,
    environment: env,
    target,
    protect,
    captures,
    topicPrefix,
    postgres,
    kafka,
    connect: { port: p.port("connect.port", cn.port, 18083) },
    mongodb: {
      database: p.string("mongodb.database", mg.database, "coexist", /^[a-zA-Z0-9_-]{1,63}$/, "letters, digits, _ and -"),
      port: p.port("mongodb.port", mg.port, 27018),
    },
    kong: { proxyPort: p.port("kong.proxyPort", kg.proxyPort, 8000), adminPort: p.port("kong.adminPort", kg.adminPort, 8001) },
    workers: {
      replicas: p.int("workers.replicas", wk.replicas, 1, 1, 64),
      batchMaxRecords: p.int("workers.batchMaxRecords", wk.batchMaxRecords, 1000, 1, 100_000),
      batchMaxWaitMs: p.int("workers.batchMaxWaitMs", wk.batchMaxWaitMs, 50, 0, 60_000),
      metricsPort: p.port("workers.metricsPort", wk.metricsPort, 9464),
      reconcileSchedule: p.string("workers.reconcileSchedule", wk.reconcileSchedule, "0 * * * *", /^(\S+\s+){4}\S+$/, "a five-field cron expression"),
      reconcileRepair: p.bool("workers.reconcileRepair", wk.reconcileRepair, false),
    },
  };
  checkPortClashes(p, config);
  p.throwIfAny();
  return config;
}

function parseCaptures(p: Problems, value: unknown): Capture[] {
  const key = `${NS}:capture`;
  if (value === undefined) {
    p.add(`${key}: missing; fix: declare the captured tables, e.g. [{table: public.orders, collection: orders, key: order_id, transform: order}]`);
    return [];
  }
  if (!Array.isArray(value) || value.length === 0) {
    p.add(`${key}: expected a non-empty list of {table, collection, key, transform}, found ${show(value)}`);
    return [];
  }
  const captures: Capture[] = [];
  const tables = new Map<string, number>();
  const collections = new Map<string, number>();
  value.forEach((entry: unknown, i) => {
    const at = `${key}[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      p.add(`${at}: expected {table, collection, key, transform}, found ${show(entry)}`);
      return;
    }
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!["table", "collection", "key", "transform"].includes(k)) p.add(`${at}.${k}: unknown field; fix: use only table, collection, key, transform`);
    }
    const table = e.table;
    if (typeof table !== "string" || !QUALIFIED.test(table)) {
      p.add(`${at}.table: expected a schema-qualified lower-case table such as public.orders, found ${show(table)}; fix: prefix the schema, e.g. public.${typeof table === "string" ? table : "orders"}`);
    } else if (tables.has(table)) {
      p.add(`${at}.table: ${table} is already captured by ${key}[${tables.get(table)}]; fix: declare each table once`);
    } else tables.set(table, i);
    const collection = e.collection;
    if (typeof collection !== "string" || !/^[a-zA-Z_][a-zA-Z0-9_.-]{0,119}$/.test(collection) || collection.startsWith("system.")) {
      p.add(`${at}.collection: expected a MongoDB collection name, found ${show(collection)}`);
    } else if (collections.has(collection)) {
      p.add(`${at}.collection: "${collection}" is already the collection of ${key}[${collections.get(collection)}]; two tables mapped to one collection would overwrite each other's documents; fix: give each table its own collection`);
    } else collections.set(collection, i);
    const column = e.key;
    if (typeof column !== "string" || !IDENT.test(column)) p.add(`${at}.key: expected the primary-key column name, found ${show(column)}`);
    const transform = e.transform ?? "identity";
    if (typeof transform !== "string" || !(TRANSFORMS as readonly string[]).includes(transform)) {
      p.add(`${at}.transform: unknown transform ${show(transform)}; fix: use one of ${TRANSFORMS.join(", ")} (defined in workers/src/transforms)`);
    }
    captures.push({ table: String(table), collection: String(collection), key: String(column), transform: transform as TransformName });
  });
  return captures;
}

function checkPortClashes(p: Problems, c: PlatformConfig): void {
  if (c.target !== "docker") return;
  const ports: Array<[string, number]> = [
    ["postgres.port", c.postgres.port], ["kafka.port", c.kafka.port], ["connect.port", c.connect.port],
    ["mongodb.port", c.mongodb.port], ["kong.proxyPort", c.kong.proxyPort], ["kong.adminPort", c.kong.adminPort],
    ["workers.metricsPort", c.workers.metricsPort],
  ];
  const seen = new Map<number, string>();
  for (const [key, port] of ports) {
    const other = seen.get(port);
    if (other !== undefined) p.add(`${NS}:${key}: port ${port} is already used by ${NS}:${other}; fix: pick another host port`);
    else seen.set(port, key);
  }
}

/** Pulumi hands objects and lists over as JSON strings; plain strings stay strings. */
function decode(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function show(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

class Problems {
  private readonly list: string[] = [];
  add(problem: string): void {
    this.list.push(problem);
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.list);
  }
  object(key: string, value: unknown): Record<string, unknown> {
    if (value === undefined) return {};
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    this.add(`${NS}:${key}: expected an object, found ${show(value)}`);
    return {};
  }
  oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[], opts: { required?: boolean } = {}): T | undefined {
    if (value === undefined) {
      if (opts.required) this.add(`${NS}:${key}: missing; fix: set it to one of ${allowed.join(", ")}`);
      return undefined;
    }
    if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
    this.add(`${NS}:${key}: unknown value ${show(value)}; fix: use one of ${allowed.join(", ")}`);
    return undefined;
  }
  bool(key: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value === "boolean") return value;
    this.add(`${NS}:${key}: expected true or false, found ${show(value)}`);
    return fallback;
  }
  int(key: string, value: unknown, fallback: number, min: number, max: number): number {
    if (value === undefined) return fallback;
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
    this.add(`${NS}:${key}: expected a whole number from ${min} to ${max}, found ${show(value)}`);
    return fallback;
  }
  port(key: string, value: unknown, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
    this.add(`${NS}:${key}: port out of range, found ${show(value)}; fix: use a whole number from 1 to 65535`);
    return fallback;
  }
  string(key: string, value: unknown, fallback: string, shape: RegExp, described: string): string {
    if (value === undefined) return fallback;
    if (typeof value === "string" && shape.test(value)) return value;
    this.add(`${NS}:${key}: expected ${described}, found ${show(value)}`);
    return fallback;
  }
}
