import { readFileSync } from "node:fs";
import { isTransformName, TRANSFORM_NAMES, type TransformName } from "../transform/transforms.js";

/** One captured table, as rendered by the stack from `coexist:capture`. */
export interface Capture {
  readonly table: string;
  readonly topic: string;
  readonly collection: string;
  readonly key: string;
  readonly transform: TransformName;
}

export interface RuntimeConfig {
  /** `timeoutMs` bounds every Kafka request and connection attempt. */
  readonly kafka: {
    readonly brokers: string[];
    readonly clientId: string;
    readonly groupId: string;
    readonly timeoutMs: number;
    /**
     * SCRAM login (the broker's client listener requires it wherever auth is on); off unless set.
     * The password is `password` or, on Kubernetes, the env var KAFKA_SASL_PASSWORD (from the User
     * Operator's Secret). `mechanism` @default "SCRAM-SHA-512"
     */
    readonly sasl?: { readonly mechanism: "SCRAM-SHA-256" | "SCRAM-SHA-512"; readonly username: string; readonly password: string };
    /**
     * TLS to the brokers; off unless set. `true` takes the CA from the PEM in KAFKA_SSL_CA_PEM;
     * an object gives `ca` (a PEM) and `verify` (@default true).
     */
    readonly tls?: { readonly ca?: string; readonly verify?: boolean };
  };
  /** `timeoutMs` bounds server selection, connecting and every socket read (a hung store fails the batch). */
  readonly mongodb: { readonly database: string; readonly timeoutMs: number };
  /** The source generation the connector stamps as `__epoch`; repairs are written in it. */
  readonly source: { readonly generation: number };
  readonly dlqTopic: string;
  readonly captures: Capture[];
  readonly batch: { readonly maxRecords: number; readonly maxWaitMs: number };
  /** Soft tombstones are deleted once older than `ttlSeconds` (rendered from the topics' retention). */
  readonly tombstones: { readonly ttlSeconds: number; readonly purgeIntervalSeconds: number };
  /** /healthz fails when no batch completed for `stallSeconds` while records wait. */
  readonly health: { readonly stallSeconds: number };
  readonly metrics: { readonly port: number };
  readonly reconciler: { readonly batchSize: number; readonly repair: boolean; readonly statementTimeoutMs: number };
}

export class ConfigError extends Error {
  constructor(key: string, found: unknown, fix: string) {
    super(`invalid config "${key}": found ${JSON.stringify(found) ?? "nothing"}; ${fix}`);
    this.name = "ConfigError";
  }
}

/**
 * Reads the runtime config from `--config <path>` or the COEXIST_CONFIG env
 * var (rendered by the stack). Secrets are never in it: see `requireEnv`.
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): RuntimeConfig {
  const i = argv.indexOf("--config");
  let text: string | undefined;
  let origin: string;
  if (i >= 0) {
    const path = argv[i + 1];
    if (path === undefined) throw new ConfigError("--config", null, "pass a file path after --config");
    origin = path;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new ConfigError("--config", path, `the file cannot be read (${(e as Error).message})`);
    }
  } else {
    origin = "COEXIST_CONFIG";
    text = env.COEXIST_CONFIG;
    if (text === undefined || text.trim() === "") {
      throw new ConfigError("COEXIST_CONFIG", text ?? null, "set it to the JSON config rendered by the stack, or pass --config <file>");
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(origin, text.slice(0, 60), `it must be JSON (${(e as Error).message})`);
  }
  return parseConfig(raw);
}

export function requireEnv(env: NodeJS.ProcessEnv, name: string, example: string): string {
  const v = env[name];
  if (v === undefined || v === "") throw new ConfigError(name, v ?? null, `set the ${name} env var (e.g. ${example}); it is a secret and never part of COEXIST_CONFIG`);
  return v;
}

function sasl(raw: unknown, env: NodeJS.ProcessEnv): NonNullable<RuntimeConfig["kafka"]["sasl"]> {
  const o = obj(raw, "kafka.sasl");
  const password = o.password === undefined ? requireEnv(env, "KAFKA_SASL_PASSWORD", "the password of the worker's Kafka user") : str(o.password, "kafka.sasl.password");
  const mechanism = o.mechanism ?? "SCRAM-SHA-512";
  if (mechanism !== "SCRAM-SHA-256" && mechanism !== "SCRAM-SHA-512") {
    throw new ConfigError("kafka.sasl.mechanism", mechanism, 'set "SCRAM-SHA-512" (or "SCRAM-SHA-256"), the mechanism the broker\'s listener enables');
  }
  return { mechanism, username: str(o.username, "kafka.sasl.username"), password };
}

function tls(raw: unknown, env: NodeJS.ProcessEnv): NonNullable<RuntimeConfig["kafka"]["tls"]> {
  if (raw === true) return { ca: requireEnv(env, "KAFKA_SSL_CA_PEM", "the PEM of the cluster CA") };
  const o = obj(raw, "kafka.tls");
  return {
    ...(o.ca === undefined ? {} : { ca: str(o.ca, "kafka.tls.ca") }),
    ...(o.verify === undefined ? {} : { verify: bool(o.verify, "kafka.tls.verify") }),
  };
}

export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const root = obj(raw, "(root)");
  const kafka = obj(root.kafka, "kafka");
  const brokers = kafka.brokers;
  if (!Array.isArray(brokers) || brokers.length === 0 || !brokers.every((b) => typeof b === "string" && /^[^\s:]+:\d+$/.test(b))) {
    throw new ConfigError("kafka.brokers", brokers, 'set a non-empty list of "host:port" strings, e.g. ["127.0.0.1:9092"]');
  }
  const captures = root.captures;
  if (!Array.isArray(captures) || captures.length === 0) {
    throw new ConfigError("captures", captures, "list at least one { table, topic, collection, key, transform }");
  }
  const parsedCaptures = captures.map((c, n) => capture(c, n));
  for (const field of ["topic", "collection", "table"] as const) {
    const seen = new Set<string>();
    parsedCaptures.forEach((c, n) => {
      if (seen.has(c[field])) throw new ConfigError(`captures[${n}].${field}`, c[field], `each capture needs its own ${field}; remove the duplicate`);
      seen.add(c[field]);
    });
  }
  const mongodb = obj(root.mongodb, "mongodb");
  const source = optObj(root.source, "source");
  const batch = optObj(root.batch, "batch");
  const tombstones = optObj(root.tombstones, "tombstones");
  const health = optObj(root.health, "health");
  const metrics = optObj(root.metrics, "metrics");
  const reconciler = optObj(root.reconciler, "reconciler");
  return {
    kafka: {
      brokers: brokers as string[],
      clientId: str(kafka.clientId, "kafka.clientId"),
      groupId: str(kafka.groupId, "kafka.groupId"),
      timeoutMs: int(kafka.timeoutMs ?? 10_000, "kafka.timeoutMs", 1_000, 600_000),
      ...(kafka.sasl === undefined ? {} : { sasl: sasl(kafka.sasl, env) }),
      ...(kafka.tls === undefined || kafka.tls === false ? {} : { tls: tls(kafka.tls, env) }),
    },
    mongodb: { database: str(mongodb.database, "mongodb.database"), timeoutMs: int(mongodb.timeoutMs ?? 60_000, "mongodb.timeoutMs", 1_000, 3_600_000) },
    source: { generation: int(source.generation ?? 0, "source.generation", 0, 0xffff_ffff) },
    dlqTopic: str(root.dlqTopic, "dlqTopic"),
    captures: parsedCaptures,
    batch: {
      maxRecords: int(batch.maxRecords ?? 1000, "batch.maxRecords", 1, 100_000),
      maxWaitMs: int(batch.maxWaitMs ?? 50, "batch.maxWaitMs", 0, 60_000),
    },
    // The default outlives a week of retention plus Kafka's 7-day segment roll; the stack renders the real figure.
    tombstones: {
      ttlSeconds: int(tombstones.ttlSeconds ?? 30 * 86_400, "tombstones.ttlSeconds", 1, 10 * 365 * 86_400),
      purgeIntervalSeconds: int(tombstones.purgeIntervalSeconds ?? 3_600, "tombstones.purgeIntervalSeconds", 1, 86_400),
    },
    health: { stallSeconds: int(health.stallSeconds ?? 300, "health.stallSeconds", 1, 86_400) },
    metrics: { port: int(metrics.port ?? 9464, "metrics.port", 0, 65_535) },
    reconciler: {
      batchSize: int(reconciler.batchSize ?? 1000, "reconciler.batchSize", 1, 100_000),
      repair: bool(reconciler.repair ?? false, "reconciler.repair"),
      statementTimeoutMs: int(reconciler.statementTimeoutMs ?? 60_000, "reconciler.statementTimeoutMs", 1_000, 3_600_000),
    },
  };
}

function capture(raw: unknown, n: number): Capture {
  const c = obj(raw, `captures[${n}]`);
  const table = str(c.table, `captures[${n}].table`);
  if (!/^[^.\s]+\.[^.\s]+$/.test(table)) throw new ConfigError(`captures[${n}].table`, table, 'use a schema-qualified name such as "public.orders"');
  if (!isTransformName(c.transform)) {
    throw new ConfigError(`captures[${n}].transform`, c.transform, `use one of ${TRANSFORM_NAMES.join(", ")}`);
  }
  return {
    table,
    topic: str(c.topic, `captures[${n}].topic`),
    collection: str(c.collection, `captures[${n}].collection`),
    key: str(c.key, `captures[${n}].key`),
    transform: c.transform,
  };
}



function obj(v: unknown, key: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ConfigError(key, v ?? null, "it must be an object");
  return v as Record<string, unknown>;
}

function optObj(v: unknown, key: string): Record<string, unknown> {
  return v === undefined ? {} : obj(v, key);
}

function str(v: unknown, key: string): string {
  if (typeof v !== "string" || v.trim() === "") throw new ConfigError(key, v ?? null, "set a non-empty string");
  return v;
}

function int(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(key, v, `set an integer between ${min} and ${max}`);
  }
  return v;
}

function bool(v: unknown, key: string): boolean {
  if (typeof v !== "boolean") throw new ConfigError(key, v, "set true or false");
  return v;
}
