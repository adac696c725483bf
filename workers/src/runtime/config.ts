import { readFileSync } from "node:fs";
import { parseTunables, type Tunables } from "../contract/settings.js";
import { isTransformName, TRANSFORM_NAMES, type TransformName } from "../transform/transforms.js";

/** One captured table, as rendered by the stack from `coexist:capture`. */
export interface Capture {
  readonly table: string;
  readonly topic: string;
  readonly collection: string;
  readonly key: string;
  readonly transform: TransformName;
}

/**
 * The structural part of the config (addresses, names, the capture list) plus every tunable of the
 * worker-config contract (../contract/settings.json: names, defaults, ranges and docs live there).
 */
export type RuntimeConfig = Tunables & {
  readonly kafka: {
    readonly brokers: string[];
    readonly clientId: string;
    readonly groupId: string;
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
  readonly mongodb: { readonly database: string };
  readonly dlqTopic: string;
  readonly captures: Capture[];
};

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
    ...(o.verify === undefined ? {} : { verify: flag(o.verify, "kafka.tls.verify") }),
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
  const t = parseTunables(root, (key, found, fix) => new ConfigError(key, found, fix));
  return {
    ...t,
    kafka: {
      ...t.kafka,
      brokers: brokers as string[],
      clientId: str(kafka.clientId, "kafka.clientId"),
      groupId: str(kafka.groupId, "kafka.groupId"),
      ...(kafka.sasl === undefined ? {} : { sasl: sasl(kafka.sasl, env) }),
      ...(kafka.tls === undefined || kafka.tls === false ? {} : { tls: tls(kafka.tls, env) }),
    },
    mongodb: { ...t.mongodb, database: str(mongodb.database, "mongodb.database") },
    dlqTopic: str(root.dlqTopic, "dlqTopic"),
    captures: parsedCaptures,
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


function str(v: unknown, key: string): string {
  if (typeof v !== "string" || v.trim() === "") throw new ConfigError(key, v ?? null, "set a non-empty string");
  return v;
}

function flag(v: unknown, key: string): boolean {
  if (typeof v !== "boolean") throw new ConfigError(key, v ?? null, "set true or false");
  return v;
}
