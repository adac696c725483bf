import { Capture, TRANSFORMS, TransformName } from "../components/capture";
import { ENVIRONMENT_NAMES, ENVIRONMENTS, environmentOf, stackNamesShown } from "../components/environments";
import { DockerPlatformConfig, KubernetesPlatformConfig, PlatformConfig, TARGETS, TargetKind } from "../components/platform-config";
import { stackSettings } from "../components/workers/settings";
import { decode, NS, Problems, show } from "./config-problems";
import { checkEgressCoverage, parseNetwork } from "./config-network";
import { IMAGE, parseKubernetes, parseServices, Services } from "./config-services";

/**
 * The typed stack configuration. `parseConfig` is pure: it takes the raw `coexist:*` values
 * exactly as Pulumi hands them to the program (strings, objects as JSON) and either returns a
 * `PlatformConfig` or throws a `ConfigError` listing every problem, each naming the key, the value
 * found and the fix. It runs before any resource is registered.
 */

export { TARGETS } from "../components/platform-config";
export type { Environment, PlatformConfig, TargetKind } from "../components/platform-config";
export { ConfigError } from "./config-problems";

/** Secret keys: each must be set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["postgresPassword", "debeziumPassword", "reconcilerPassword", "mongodbPassword", "mongodbUrl", "kongCredentials", "connectPassword"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

const KNOWN_KEYS = ["target", "environment", "protect", "capture", "topicPrefix", "postgres", "kafka", "connect", "mongodb", "kong", "workers", "kubernetes", ...SECRET_KEYS];
const IDENT = /^[a-z_][a-z0-9_]*$/;
const QUALIFIED = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;

export { environmentOf } from "../components/environments";

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
  const environment = declared === undefined ? environmentOf(stack) : p.oneOf("environment", declared, ENVIRONMENT_NAMES);
  if (environment === undefined && declared === undefined) {
    p.add(`${NS}:environment: stack "${stack}" is not ${stackNamesShown()}; fix: name the stack so, or set ${NS}:environment`);
  }
  const env = environment ?? "dev";
  const envSpec = ENVIRONMENTS[env];
  const ephemeral = envSpec.disposable;

  const target: TargetKind = p.oneOf("target", get("target"), TARGETS, { required: true }) ?? "docker";
  const protect = p.bool("protect", get("protect"), !ephemeral);
  if (envSpec.mustProtect && !protect) p.add(`${NS}:protect: ${env} must protect its stateful resources, found false; fix: remove the key or set it to true`);
  if (envSpec.target === "kubernetes" && target !== "kubernetes") {
    p.add(`${NS}:target: ${env} runs on kubernetes, found "${target}"; fix: set ${NS}:target to kubernetes`);
  }
  if (envSpec.target === "docker" && target !== "docker") {
    p.add(`${NS}:target: ${env} stacks run on the local Docker engine, found "${target}"; fix: set ${NS}:target to docker (the local stack is the Kubernetes one for tests)`);
  }

  const captures = parseCaptures(p, get("capture"));
  const topicPrefix = p.string("topicPrefix", get("topicPrefix"), "coexist", /^[a-zA-Z0-9_-]+$/, "letters, digits, _ and -");
  const services = parseServices(p, get, { stack, env, target, ephemeral });
  const k8sSettings = target === "kubernetes" ? parseKubernetes(p, get("kubernetes"), stack, env) : undefined;
  const kubernetes = k8sSettings ? { ...k8sSettings, ...parseNetwork(p, get("kubernetes"), k8sSettings.operators) } : undefined;
  if (target !== "kubernetes" && get("kubernetes") !== undefined) {
    p.add(`${NS}:kubernetes: only the kubernetes target reads it, and this stack's target is ${target}; fix: remove the key`);
  }

  const wk = p.object("workers", get("workers"), ["replicas", ...stackSettings().map(([, s]) => s.stack), "slotMetricsPort", "reconcileSchedule", "image"]);
  // The worker-config contract's stack-set settings (workers/src/contract/settings.json): default and range from there.
  const settings = Object.fromEntries(stackSettings().map(([, s]) => {
    const key = `workers.${s.stack}`;
    const v = s.type === "boolean" ? p.bool(key, wk[s.stack], s.default as boolean) : s.type === "port" ? p.port(key, wk[s.stack], s.default as number) : p.int(key, wk[s.stack], s.default as number, s.min ?? 0, s.max ?? Number.MAX_SAFE_INTEGER);
    return [s.stack, v];
  }));
  const workers = {
    replicas: p.int("workers.replicas", wk.replicas, 1, 1, 64),
    settings,
    batchMaxRecords: settings.batchMaxRecords as number,
    batchMaxWaitMs: settings.batchMaxWaitMs as number,
    metricsPort: settings.metricsPort as number,
    slotMetricsPort: p.port("workers.slotMetricsPort", wk.slotMetricsPort, 9465),
    reconcileSchedule: p.string("workers.reconcileSchedule", wk.reconcileSchedule, "0 * * * *", /^(\S+\s+){4}\S+$/, "a five-field cron expression"),
    reconcileRepair: settings.reconcileRepair as boolean,
  };
  const image = target === "kubernetes"
    ? p.requiredString("workers.image", wk.image, IMAGE, "the worker image CI builds from workers/ and pushes", "registry.example.com/coexist/worker:1.4.0")
    : p.optionalString("workers.image", wk.image, IMAGE, "an image reference");
  if (target === "docker" && wk.image !== undefined) p.add(`${NS}:workers.image: the docker target builds the worker image from workers/; fix: remove the key`);
  const common = { stack, environment: env, protect, captures, topicPrefix, kong: services.kong };
  // A service whose mode does not fit the target has been reported above; then there is no config.
  const config = byTarget(services, kubernetes
    ? { target: "kubernetes", ...common, workers: { ...workers, image: image ?? "" }, kubernetes }
    : { target: "docker", ...common, workers });
  if (config) {
    checkPortClashes(p, config);
    checkEgressCoverage(p, config);
  }
  p.throwIfAny();
  if (!config) throw new Error("parseConfig: a service's mode does not fit the target, and no problem said so");
  return config;
}

type Shell =
  | Omit<DockerPlatformConfig, "postgres" | "kafka" | "connect" | "mongodb">
  | Omit<KubernetesPlatformConfig, "postgres" | "kafka" | "connect" | "mongodb">;

/** Pairs each service's slice with the target: containers on Docker; operator, managed or external on Kubernetes. */
function byTarget(s: Services, shell: Shell): PlatformConfig | undefined {
  const { postgres, kafka, connect, mongodb } = s;
  if (shell.target === "docker") {
    if (postgres.mode !== "container" || kafka.mode !== "container" || connect.mode !== "container" || mongodb.mode !== "container") return undefined;
    return { ...shell, postgres, kafka, connect, mongodb };
  }
  if (postgres.mode === "container" || kafka.mode === "container" || connect.mode === "container" || mongodb.mode === "container") return undefined;
  return { ...shell, postgres, kafka, connect, mongodb };
}

/** The secrets a parsed config needs; each missing one fails before any resource is registered. */
export function requiredSecrets(c: PlatformConfig): SecretKey[] {
  const needed: SecretKey[] = [];
  const cdcSource = c.postgres.mode === "external" ? c.postgres.cdcSource : "managed";
  // The superuser of the container, or the admin role that applies the CDC source on an external server.
  const pgAdmin = c.postgres.mode === "container" || (c.postgres.mode === "external" && cdcSource === "managed");
  if (pgAdmin) needed.push("postgresPassword");
  // The connector's password lives in an external Connect's own secret store.
  if (c.connect.mode !== "external" || cdcSource === "managed") needed.push("debeziumPassword");
  // A DBA who created the CDC source created the reconciler's read-only role too; the stack generates its own otherwise.
  if (cdcSource === "existing") needed.push("reconcilerPassword");
  if (c.connect.mode === "external" && c.connect.user !== undefined) needed.push("connectPassword");
  if (c.mongodb.mode === "external") needed.push("mongodbUrl");
  else needed.push("mongodbPassword");
  return needed;
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
    // A composite primary key is its columns comma-separated, in the order of the document `_id`.
    const columns = typeof column === "string" ? column.split(",") : [];
    if (typeof column !== "string" || !columns.every((c) => IDENT.test(c))) {
      p.add(`${at}.key: expected the primary-key column name, or a composite key's columns comma-separated without spaces in _id order (e.g. tenant_id,order_id), found ${show(column)}`);
    } else if (new Set(columns).size !== columns.length) {
      p.add(`${at}.key: ${column} names a column twice; fix: list each primary-key column once`);
    }
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
  // Host ports exist on the Docker target only, where every service is a container.
  const ports: Array<[string, number]> = [
    ["postgres.port", c.postgres.port], ["kafka.port", c.kafka.port], ["connect.port", c.connect.port],
    ["mongodb.port", c.mongodb.port], ["kong.proxyPort", c.kong.proxyPort],
    ["workers.metricsPort", c.workers.metricsPort], ["workers.slotMetricsPort", c.workers.slotMetricsPort],
  ];
  const seen = new Map<number, string>();
  for (const [key, port] of ports) {
    const other = seen.get(port);
    if (other !== undefined) p.add(`${NS}:${key}: port ${port} is already used by ${NS}:${other}; fix: pick another host port`);
    else seen.set(port, key);
  }
}
