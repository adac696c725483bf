import { VAULT_ENV_REF } from "./credentials";
import type { BaseFacts, Overlay } from "./types";
import { describe, isRecord } from "./values";

/** `dev` → dev, `pr-123` → pr (one overlay for every ephemeral stack), …: the catalogue's mapping. */
export { overlayOf as kongOverlayFor } from "../environments";

const JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "HS256", "HS384", "HS512"];
const REDIS_KEYS: Record<string, "string" | "port" | "integer" | "boolean"> = {
  host: "string", port: "port", timeout: "integer", database: "integer", ssl: "boolean", ssl_verify: "boolean",
  server_name: "string", username: "string", password: "string",
};

type Fail = (key: string, found: unknown, fix: string) => never;
type Closed = (v: Record<string, unknown>, key: string, allowed: string[]) => void;

/** Validates an overlay against its closed schema; every error names the file, the key, the value and the fix. */
export function parseOverlay(doc: unknown, file: string, base: BaseFacts): Overlay {
  const fail: Fail = (key, found, fix) => {
    throw new Error(`${file}: key "${key}": found ${describe(found)}; ${fix}`);
  };
  const record = (v: unknown, key: string): Record<string, unknown> => (isRecord(v) ? v : fail(key, v, "expected a mapping"));
  const closed: Closed = (v, key, allowed) => {
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
      // Whether it is loopback is a lint rule (admin-loopback), checked on the listen value Kong gets.
      address: str(admin.address, "admin.address", /^\S+$/, "the address the Admin API listens on inside the gateway (127.0.0.1)"),
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
  if (o.consumers !== undefined) overlay.consumers = parseConsumers(o.consumers, { fail, record, closed, str, list, oneOf });
  return overlay;
}

interface Parsers {
  fail: Fail;
  record: (v: unknown, key: string) => Record<string, unknown>;
  closed: Closed;
  str: (v: unknown, key: string, re: RegExp, what: string) => string;
  list: (v: unknown, key: string, re: RegExp, what: string) => string[];
  oneOf: <T extends string>(v: unknown, key: string, values: readonly T[]) => T;
}

function parseConsumers(value: unknown, p: Parsers): NonNullable<Overlay["consumers"]> {
  if (!Array.isArray(value)) p.fail("consumers", value, "expected a list of consumers");
  const consumers = (value as unknown[]).map((c, i) => {
    const key = `consumers[${i}]`;
    const consumer = p.record(c, key);
    p.closed(consumer, key, ["username", "groups", "jwt"]);
    const out: NonNullable<Overlay["consumers"]>[number] = { username: p.str(consumer.username, `${key}.username`, /^[a-z][a-z0-9-]*$/, "a lower-case name") };
    if (consumer.groups !== undefined) out.groups = p.list(consumer.groups, `${key}.groups`, /^[a-z][a-z0-9-]*$/, "ACL group names");
    if (consumer.jwt !== undefined) {
      const jwt = p.record(consumer.jwt, `${key}.jwt`);
      p.closed(jwt, `${key}.jwt`, ["key", "algorithm"]);
      out.jwt = {
        key: p.str(jwt.key, `${key}.jwt.key`, /^\S+$/, "the token issuer (the iss claim Kong matches)"),
        algorithm: p.oneOf(jwt.algorithm, `${key}.jwt.algorithm`, JWT_ALGORITHMS),
      };
    }
    return out;
  });
  const names = consumers.map((c) => c.username);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) p.fail("consumers", dup, "usernames must be unique");
  return consumers;
}

function parseRedis(redis: Record<string, unknown>, fail: Fail, closed: Closed): Record<string, string | number | boolean> {
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
