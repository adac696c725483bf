import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { formatFinding, lintKongConfig } from "./lint";

export { PUBLIC_TAG } from "./lint";

/** The declarative config as decK and DB-less Kong read it (`_format_version: "3.0"`). */
export interface KongConfig {
  _format_version: "3.0";
  services: KongService[];
  consumers?: KongConsumer[];
  plugins?: KongPlugin[];
}
export interface KongService {
  name: string;
  url?: string;
  routes?: KongRoute[];
  plugins?: KongPlugin[];
  tags?: string[];
  [field: string]: unknown;
}
export interface KongRoute {
  name: string;
  paths?: string[];
  methods?: string[];
  hosts?: string[];
  tags?: string[];
  plugins?: KongPlugin[];
  [field: string]: unknown;
}
export interface KongPlugin {
  name: string;
  config?: Record<string, unknown>;
  /** Only on top-level plugins: the service or route (by name) they are scoped to. */
  service?: string;
  route?: string;
  consumer?: string;
  enabled?: boolean;
  tags?: string[];
  [field: string]: unknown;
}
export interface KongConsumer {
  username: string;
  tags?: string[];
  acls?: { group: string }[];
  jwt_secrets?: { key: string; algorithm: string; secret: string; rsa_public_key?: string }[];
}

export type KongMode = "dbless" | "db";

export interface RenderOptions {
  /** Environment the credential references are resolved from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * Replace `${{ env "DECK_..." }}` references with their values, as a DB-less gateway needs (it
   * loads the file as is). Fails naming every variable that is not set.
   * @default false: references stay, which is what reviews, diffs and `deck file validate` see
   */
  resolveSecrets?: boolean;
  /** Directory holding base.yaml and overlays/. @default the repository's kong/ */
  kongDir?: string;
  /** Refuse a config our lint rules reject. @default true */
  lint?: boolean;
}

export interface RenderedKong {
  config: KongConfig;
  /** The file the gateway loads (with secrets when `resolveSecrets`). */
  yaml: string;
  /** Always with references, never secret values: safe for previews, diffs and logs. */
  reviewYaml: string;
  replicas: number;
  mode: KongMode;
  target: Overlay["target"];
  overlay: string;
  /** Where the Admin API may be reached from; the gateway component must honour it. */
  admin: Overlay["admin"];
  /** decK variables (`DECK_...`) holding the credentials the config references. */
  secretVariables: string[];
  /** Environment variables the Kong process itself must get from secrets (env vault references). */
  vaultVariables: string[];
  /** Kong settings (as KONG_* environment) this config depends on. */
  kongEnv: Record<string, string>;
}

/** The shared memory zone proxy-cache uses; Kong must declare it (see kongEnv). */
const PROXY_CACHE_DICT = "kong_proxy_cache";
const DEFAULT_KONG_DIR = path.resolve(__dirname, "../../kong");
const ENV_REF = /^\$\{\{ env "(DECK_[A-Z0-9_]+)" \}\}$/;
const VAULT_ENV_REF = /^\{vault:\/\/env\/([a-z0-9-]+)\}$/;

/** `dev` → dev, `pr-123` → pr (one overlay for every ephemeral stack), `staging`, `prod`. */
export function kongOverlayFor(stack: string): string {
  if (stack === "dev" || stack === "staging" || stack === "prod") return stack;
  if (/^pr-[1-9][0-9]*$/.test(stack)) return "pr";
  throw new Error(
    `kongOverlayFor: no Kong overlay for stack "${stack}"; expected dev, staging, prod or pr-<number> (e.g. pr-123). ` +
      `Fix: use one of those stack names, or add kong/overlays/<name>.yaml and map it here.`,
  );
}

/** Base + the stack's overlay → the declarative config, with stable key order so diffs are stable. */
export function renderKongConfig(stack: string, opts: RenderOptions = {}): RenderedKong {
  const kongDir = opts.kongDir ?? DEFAULT_KONG_DIR;
  const overlayName = kongOverlayFor(stack);
  const basePath = path.join(kongDir, "base.yaml");
  const overlayPath = path.join(kongDir, "overlays", `${overlayName}.yaml`);
  const base = loadBase(basePath);
  const overlay = parseOverlay(readYaml(overlayPath), relative(overlayPath), baseFacts(base));

  const config = canonical(applyOverlay(base, overlay)) as KongConfig;
  if (opts.lint ?? true) {
    const findings = lintKongConfig(config, { replicas: overlay.replicas, mode: overlay.mode, admin: overlay.admin });
    if (findings.length > 0) {
      throw new Error(
        `renderKongConfig(${stack}): ${relative(basePath)} + ${relative(overlayPath)} render a config our rules reject:\n` +
          findings.map((f) => `  ${formatFinding(f)}`).join("\n"),
      );
    }
  }
  const header = `# Rendered from kong/base.yaml + kong/overlays/${overlayName}.yaml by components/kong/render.ts; do not edit.\n`;
  const reviewYaml = header + toDeckYaml(config);
  const secretVariables = collectSecretVariables(config);
  const resolved = opts.resolveSecrets ? resolveSecrets(config, secretVariables, opts.env ?? process.env, stack) : undefined;
  return {
    config: resolved ?? config,
    yaml: resolved ? header + YAML.stringify(resolved, { lineWidth: 0 }) : reviewYaml,
    reviewYaml,
    replicas: overlay.replicas,
    mode: overlay.mode,
    target: overlay.target,
    overlay: overlayName,
    admin: overlay.admin,
    secretVariables,
    vaultVariables: collectVaultVariables(config),
    kongEnv: kongEnvFor(config),
  };
}

/** The names every overlay must and may refer to. */
export interface BaseFacts {
  services: string[];
  rateLimited: string[];
}

function baseFacts(base: KongConfig): BaseFacts {
  return {
    services: base.services.map((s) => s.name),
    rateLimited: base.services.filter((s) => (s.plugins ?? []).some((p) => p.name === "rate-limiting")).map((s) => s.name),
  };
}

function loadBase(file: string): KongConfig {
  const doc = readYaml(file);
  const where = relative(file);
  if (!isRecord(doc)) throw new Error(`${where}: expected a mapping at the top level, found ${describe(doc)}`);
  // `x-` keys only hold YAML anchors (shared plugin settings); Kong and decK do not know them.
  const body = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(doc).filter(([k]) => !k.startsWith("x-")))));
  for (const key of Object.keys(body)) {
    if (!["_format_version", "services", "plugins"].includes(key)) {
      throw new Error(`${where}: key "${key}" is not allowed in the base; found ${describe(body[key])}. ` +
        `Fix: consumers and other per-environment data belong in kong/overlays/<env>.yaml.`);
    }
  }
  if (body._format_version !== "3.0") {
    throw new Error(`${where}: key "_format_version" must be "3.0" (Kong 3.x / decK), found ${describe(body._format_version)}`);
  }
  if (!Array.isArray(body.services) || body.services.length === 0) {
    throw new Error(`${where}: key "services" must be a non-empty list, found ${describe(body.services)}`);
  }
  body.services.forEach((s: unknown, i: number) => {
    if (!isRecord(s) || typeof s.name !== "string" || !/^[a-z][a-z0-9-]*$/.test(s.name)) {
      throw new Error(`${where}: key "services[${i}].name" must be a lower-case name, found ${describe(isRecord(s) ? s.name : s)}`);
    }
    if (s.url !== undefined) {
      throw new Error(`${where}: key "services[${i}].url" is set in the base (${describe(s.url)}); ` +
        `fix: upstream URLs are per environment, set services.${s.name}.url in each overlay.`);
    }
  });
  return body as KongConfig;
}

function applyOverlay(base: KongConfig, overlay: Overlay): KongConfig {
  const rl = overlay.rate_limiting;
  for (const service of base.services) {
    service.url = overlay.services[service.name].url;
    for (const route of service.routes ?? []) {
      if (overlay.hosts) route.hosts = [...overlay.hosts];
    }
    for (const plugin of service.plugins ?? []) {
      const config = (plugin.config ??= {});
      if (plugin.name === "jwt" && overlay.jwt?.maximum_expiration !== undefined) {
        config.maximum_expiration = overlay.jwt.maximum_expiration;
      }
      if (plugin.name === "cors") config.origins = [...overlay.cors.origins];
      if (plugin.name === "rate-limiting") {
        config.minute = rl.limits?.[service.name] ?? config.minute;
        config.policy = rl.policy;
        if (rl.fault_tolerant !== undefined) config.fault_tolerant = rl.fault_tolerant;
        if (rl.redis) config.redis = { ...rl.redis };
      }
    }
  }
  const consumers = (overlay.consumers ?? []).map((c): KongConsumer => {
    const consumer: KongConsumer = { username: c.username, acls: (c.groups ?? []).map((group) => ({ group })) };
    if (c.jwt) {
      const prefix = `DECK_JWT_${c.username.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
      // decK's schema requires `secret` even for RS/ES keys, where Kong does not use it.
      const credential: NonNullable<KongConsumer["jwt_secrets"]>[number] = {
        key: c.jwt.key,
        algorithm: c.jwt.algorithm,
        secret: envRef(`${prefix}_SECRET`),
      };
      if (!c.jwt.algorithm.startsWith("HS")) credential.rsa_public_key = envRef(`${prefix}_RSA_PUBLIC_KEY`);
      consumer.jwt_secrets = [credential];
    }
    return consumer;
  });
  return consumers.length > 0 ? { ...base, consumers } : base;
}

function envRef(variable: string): string {
  return `\${{ env "${variable}" }}`;
}

function collectSecretVariables(config: KongConfig): string[] {
  const names = new Set<string>();
  walkStrings(config, (s) => {
    const m = ENV_REF.exec(s);
    if (m) names.add(m[1]);
  });
  return [...names].sort();
}

function collectVaultVariables(config: KongConfig): string[] {
  const names = new Set<string>();
  walkStrings(config, (s) => {
    const m = VAULT_ENV_REF.exec(s);
    if (m) names.add(m[1].toUpperCase().replace(/-/g, "_"));
  });
  return [...names].sort();
}

function kongEnvFor(config: KongConfig): Record<string, string> {
  const usesCache = JSON.stringify(config).includes(`"dictionary_name":"${PROXY_CACHE_DICT}"`);
  // Kong refuses a proxy-cache plugin whose shared dict is not declared (schema check at load).
  return usesCache ? { KONG_NGINX_HTTP_LUA_SHARED_DICT: `${PROXY_CACHE_DICT} 64m` } : {};
}

function resolveSecrets(config: KongConfig, variables: string[], env: NodeJS.ProcessEnv, stack: string): KongConfig {
  const missing = variables.filter((v) => (env[v] ?? "") === "");
  if (missing.length > 0) {
    throw new Error(
      `renderKongConfig(${stack}): the gateway file needs credentials that are not set: ${missing.join(", ")}. ` +
        `Fix: export them from the secret store (kong/README.md, "Credentials"), or render with resolveSecrets: false for review.`,
    );
  }
  for (const v of variables.filter((n) => n.endsWith("_RSA_PUBLIC_KEY"))) {
    if (!/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/.test(env[v] ?? "")) {
      throw new Error(`renderKongConfig(${stack}): ${v} is set but is not a PEM public key (-----BEGIN PUBLIC KEY----- ...). ` +
        `Fix: export the issuer's public key in PEM form.`);
    }
  }
  return mapStrings(config, (s) => {
    const m = ENV_REF.exec(s);
    return m ? (env[m[1]] as string) : s;
  }) as KongConfig;
}

/**
 * YAML for decK. A reference becomes a block scalar with decK's `indent`, so a multi-line value
 * (a PEM key) substituted by decK stays one YAML string instead of breaking the document.
 */
export function toDeckYaml(config: unknown): string {
  const text = YAML.stringify(config, { lineWidth: 0 });
  return text.replace(/^( *)(- )?([a-z_]+): \$\{\{ env "(DECK_[A-Z0-9_]+)" \}\}$/gm, (_all, lead: string, dash = "", key: string, v: string) => {
    const indent = lead.length + dash.length + 2;
    return `${lead}${dash}${key}: |-\n${" ".repeat(indent)}\${{ env "${v}" | indent ${indent} }}`;
  });
}

const KEY_ORDER = ["_format_version", "name", "username", "group", "key", "url", "services", "routes", "consumers", "plugins"];
const ENTITY_SORT_KEYS = ["name", "username", "group", "key"];

/** Deep copy with keys in a fixed order and entity lists sorted by their identity. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    const idKey = ENTITY_SORT_KEYS.find((k) => items.length > 0 && items.every((i) => isRecord(i) && typeof i[k] === "string"));
    return idKey ? items.sort((a, b) => String((a as Record<string, unknown>)[idKey]).localeCompare(String((b as Record<string, unknown>)[idKey]))) : items;
  }
  if (!isRecord(value)) return value;
  const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return Object.fromEntries(keys.filter((k) => value[k] !== undefined).map((k) => [k, canonical(value[k])]));
}

function walkStrings(value: unknown, visit: (s: string) => void): void {
  mapStrings(value, (s) => (visit(s), s));
}

function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
  return value;
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`${relative(file)}: cannot be read (${(e as Error).message}); fix: restore the file from git`);
  }
  try {
    return YAML.parse(text);
  } catch (e) {
    throw new Error(`${relative(file)}: is not valid YAML: ${(e as Error).message}`);
  }
}

function relative(file: string): string {
  const rel = path.relative(path.resolve(DEFAULT_KONG_DIR, ".."), file);
  return rel.startsWith("..") ? file : rel;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  return JSON.stringify(value);
}

/** An environment's overlay (kong/overlays/<name>.yaml); every key is documented in kong/README.md. */
export interface Overlay {
  mode: KongMode;
  target: "docker" | "kubernetes";
  replicas: number;
  admin: { address: string; port: number };
  hosts?: string[];
  services: Record<string, { url: string }>;
  rate_limiting: {
    policy: "local" | "redis" | "cluster";
    limits?: Record<string, number>;
    fault_tolerant?: boolean;
    redis?: Record<string, string | number | boolean>;
  };
  cors: { origins: string[] };
  jwt?: { maximum_expiration?: number };
  consumers?: { username: string; groups?: string[]; jwt?: { key: string; algorithm: string } }[];
}

const JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "HS256", "HS384", "HS512"];
const REDIS_KEYS: Record<string, "string" | "port" | "integer" | "boolean"> = {
  host: "string", port: "port", timeout: "integer", database: "integer", ssl: "boolean", ssl_verify: "boolean",
  server_name: "string", username: "string", password: "string",
};

/** Validates an overlay against its closed schema; every error names the file, the key, the value and the fix. */
export function parseOverlay(doc: unknown, file: string, base: BaseFacts): Overlay {
  const fail = (key: string, found: unknown, fix: string): never => {
    throw new Error(`${file}: key "${key}": found ${describe(found)}; ${fix}`);
  };
  const record = (v: unknown, key: string): Record<string, unknown> => (isRecord(v) ? v : fail(key, v, "expected a mapping"));
  const closed = (v: Record<string, unknown>, key: string, allowed: string[]) => {
    for (const k of Object.keys(v)) {
      if (!allowed.includes(k)) fail(key ? `${key}.${k}` : k, v[k], `unknown key; allowed here: ${allowed.join(", ")}`);
    }
  };
  const oneOf = <T extends string>(v: unknown, key: string, values: readonly T[]): T =>
    values.includes(v as T) ? (v as T) : fail(key, v, `expected one of ${values.join(", ")}`);
  const int = (v: unknown, key: string, min: number, max: number): number =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : fail(key, v, `expected an integer from ${min} to ${max}`);
  const str = (v: unknown, key: string, re: RegExp, what: string): string =>
    typeof v === "string" && re.test(v) ? v : fail(key, v, `expected ${what}`);
  const list = (v: unknown, key: string, re: RegExp, what: string): string[] =>
    Array.isArray(v) && v.length > 0 ? v.map((x, i) => str(x, `${key}[${i}]`, re, what)) : fail(key, v, `expected a non-empty list of ${what}`);

  const o = record(doc, "(top level)");
  closed(o, "", ["mode", "target", "replicas", "admin", "hosts", "services", "rate_limiting", "cors", "jwt", "consumers"]);
  const admin = record(o.admin, "admin");
  closed(admin, "admin", ["address", "port"]);
  const services = record(o.services, "services");
  closed(services, "services", base.services);
  const rl = record(o.rate_limiting, "rate_limiting");
  closed(rl, "rate_limiting", ["policy", "limits", "fault_tolerant", "redis"]);
  const cors = record(o.cors, "cors");
  closed(cors, "cors", ["origins"]);

  const overlay: Overlay = {
    mode: oneOf(o.mode, "mode", ["dbless", "db"] as const),
    target: oneOf(o.target, "target", ["docker", "kubernetes"] as const),
    replicas: int(o.replicas, "replicas", 1, 100),
    admin: {
      address: str(admin.address, "admin.address", /^\S+$/, "the address the Admin API is bound to (127.0.0.1)"),
      port: admin.port === undefined ? 8001 : int(admin.port, "admin.port", 1, 65535),
    },
    services: Object.fromEntries(
      base.services.map((name) => {
        const s = record(services[name] ?? fail(`services.${name}`, undefined, `every service of kong/base.yaml needs its upstream: add services.${name}.url`), `services.${name}`);
        closed(s, `services.${name}`, ["url"]);
        return [name, { url: str(s.url, `services.${name}.url`, /^https?:\/\/[^\s/]+(\/\S*)?$/, "an http(s) URL such as http://orders:8000") }];
      }),
    ),
    rate_limiting: { policy: oneOf(rl.policy, "rate_limiting.policy", ["local", "redis", "cluster"] as const) },
    cors: { origins: list(cors.origins, "cors.origins", /^https?:\/\/[^\s/*]+$/, "origins such as https://app.example.org (no wildcard, no path)") },
  };
  if (o.hosts !== undefined) overlay.hosts = list(o.hosts, "hosts", /^[a-z0-9.-]+$/, "host names");
  if (rl.fault_tolerant !== undefined) {
    overlay.rate_limiting.fault_tolerant = typeof rl.fault_tolerant === "boolean" ? rl.fault_tolerant : fail("rate_limiting.fault_tolerant", rl.fault_tolerant, "expected true or false");
  }
  if (rl.limits !== undefined) {
    const limits = record(rl.limits, "rate_limiting.limits");
    closed(limits, "rate_limiting.limits", base.rateLimited);
    overlay.rate_limiting.limits = Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, int(v, `rate_limiting.limits.${k}`, 1, 1_000_000)]));
  }
  if (rl.redis !== undefined) overlay.rate_limiting.redis = parseRedis(record(rl.redis, "rate_limiting.redis"), fail, closed);
  if (overlay.rate_limiting.policy === "redis" && !overlay.rate_limiting.redis) {
    fail("rate_limiting.redis", undefined, "policy redis needs rate_limiting.redis.host and .port");
  }
  if (o.jwt !== undefined) {
    const jwt = record(o.jwt, "jwt");
    closed(jwt, "jwt", ["maximum_expiration"]);
    overlay.jwt = { maximum_expiration: int(jwt.maximum_expiration, "jwt.maximum_expiration", 60, 86400) };
  }
  if (o.consumers !== undefined) {
    if (!Array.isArray(o.consumers)) fail("consumers", o.consumers, "expected a list of consumers");
    overlay.consumers = (o.consumers as unknown[]).map((c, i) => {
      const key = `consumers[${i}]`;
      const consumer = record(c, key);
      closed(consumer, key, ["username", "groups", "jwt"]);
      const out: NonNullable<Overlay["consumers"]>[number] = { username: str(consumer.username, `${key}.username`, /^[a-z][a-z0-9-]*$/, "a lower-case name") };
      if (consumer.groups !== undefined) out.groups = list(consumer.groups, `${key}.groups`, /^[a-z][a-z0-9-]*$/, "ACL group names");
      if (consumer.jwt !== undefined) {
        const jwt = record(consumer.jwt, `${key}.jwt`);
        closed(jwt, `${key}.jwt`, ["key", "algorithm"]);
        out.jwt = {
          key: str(jwt.key, `${key}.jwt.key`, /^\S+$/, "the token issuer (the iss claim Kong matches)"),
          algorithm: oneOf(jwt.algorithm, `${key}.jwt.algorithm`, JWT_ALGORITHMS),
        };
      }
      return out;
    });
    const names = overlay.consumers.map((c) => c.username);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) fail("consumers", dup, "usernames must be unique");
  }
  return overlay;
}

function parseRedis(
  redis: Record<string, unknown>,
  fail: (key: string, found: unknown, fix: string) => never,
  closed: (v: Record<string, unknown>, key: string, allowed: string[]) => void,
): Record<string, string | number | boolean> {
  closed(redis, "rate_limiting.redis", Object.keys(REDIS_KEYS));
  for (const [k, kind] of Object.entries(REDIS_KEYS)) {
    const v = redis[k];
    const key = `rate_limiting.redis.${k}`;
    if (v === undefined) continue;
    if (kind === "boolean" && typeof v !== "boolean") fail(key, v, "expected true or false");
    if ((kind === "integer" || kind === "port") && !(Number.isInteger(v) && (v as number) >= 0 && (kind !== "port" || (v as number) <= 65535))) {
      fail(key, v, "expected a whole number");
    }
    if (kind === "string" && (typeof v !== "string" || v === "")) fail(key, v, "expected a non-empty string");
  }
  if (redis.host === undefined || redis.port === undefined) fail("rate_limiting.redis", redis, "host and port are required");
  for (const k of ["password", "username"]) {
    if (redis[k] !== undefined && !VAULT_ENV_REF.test(String(redis[k]))) {
      // Never a literal: the overlay is committed. Kong resolves the reference from its own environment.
      fail(`rate_limiting.redis.${k}`, "(a literal value, not shown)", "reference a secret instead, e.g. {vault://env/coexist-kong-redis-password}");
    }
  }
  return redis as Record<string, string | number | boolean>;
}
