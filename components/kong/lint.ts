import { controlListenProblem } from "./listen";
import { effectivePlugins, PUBLIC_TAG, routeAuthProblem } from "./route-auth";
import type { KongConfig, KongMode, KongPlugin, KongRoute, KongService } from "./types";

/** One broken rule; `where` names the service, route, plugin or consumer it is about. */
export interface Finding {
  rule: string;
  where: { service?: string; route?: string; plugin?: string; consumer?: string; setting?: string };
  message: string;
}

export interface LintOptions {
  /** Gateway processes sharing this config; more than one needs shared rate-limit counters. */
  replicas: number;
  /** @default "dbless" */
  mode?: KongMode;
  /**
   * `KONG_ADMIN_LISTEN`, the listen setting the gateway is given, when the environment models it
   * (an overlay does; a bare file does not).
   */
  adminListen?: string;
}

export function formatFinding(f: Finding): string {
  const where = Object.entries(f.where).map(([k, v]) => `${k} ${v}`).join(" / ");
  return `[${f.rule}] ${where || "config"}: ${f.message}`;
}

export { PUBLIC_TAG } from "./route-auth";
/** Longest token lifetime any environment may accept. */
const MAX_TOKEN_LIFETIME_S = 86400;
const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];
const ENV_REF = /^\$\{\{ env "DECK_[A-Z0-9_]+"( \| indent \d+)? \}\}$/;

/** Our rules on top of decK's structural checks; an empty list means the config is acceptable. */
export function lintKongConfig(config: KongConfig, opts: LintOptions): Finding[] {
  const findings: Finding[] = [];
  const add = (rule: string, where: Finding["where"], message: string) => findings.push({ rule, where, message });
  const mode = opts.mode ?? "dbless";

  if (config._format_version !== "3.0") add("format-version", {}, `_format_version is ${JSON.stringify(config._format_version)}; Kong 3.x reads "3.0"`);
  if (opts.adminListen !== undefined) {
    const problem = controlListenProblem("KONG_ADMIN_LISTEN", opts.adminListen);
    if (problem) add("admin-loopback", { setting: "admin" }, problem);
  }
  for (const plugin of allPlugins(config)) checkPluginSchema(plugin.plugin, plugin.where, add);

  const globals = (config.plugins ?? []).filter((p) => !p.service && !p.route && !p.consumer);
  if (!globals.some((p) => p.name === "prometheus")) add("global-plugins", { plugin: "prometheus" }, "prometheus must be enabled globally so every route is measured");
  const rt = globals.find((p) => p.name === "request-transformer");
  const added = (((rt?.config?.add as Record<string, unknown> | undefined)?.headers ?? []) as string[]).map((h) => h.split(":")[0].toLowerCase());
  if (!added.includes("x-gateway-version")) add("global-plugins", { plugin: "request-transformer" }, "a global request-transformer must add X-Gateway-Version");

  for (const service of config.services ?? []) {
    const svc = { service: service.name };
    if (!/^https?:\/\//.test(service.url ?? "")) add("upstream-url", svc, `url is ${JSON.stringify(service.url)}; every service needs an http(s) upstream`);
    if (!(service.plugins ?? []).some((p) => p.name === "cors")) add("cors-everywhere", svc, "no cors plugin on the service; browsers calling it get no CORS headers");
    for (const route of service.routes ?? []) lintRoute(config, service, route, add);
  }
  for (const { plugin, where } of allPlugins(config)) lintPluginSettings(plugin, where, opts, mode, add);
  lintConsumers(config, add);
  return findings;
}

function lintRoute(config: KongConfig, service: KongService, route: KongRoute, add: Add): void {
  const where = { service: service.name, route: route.name };
  const isPublic = (route.tags ?? []).includes(PUBLIC_TAG);
  const plugins = effectivePlugins(config, service, route);
  const jwt = plugins.get("jwt");
  if (!route.paths?.length || !route.methods?.length) add("route-explicit", where, "a route must list its paths and methods; a catch-all route exposes whatever the upstream serves");
  if (routeAuthProblem(config, service, route) === "open") {
    add("route-auth", where, `not tagged "${PUBLIC_TAG}" and no jwt plugin applies: anyone can call it. Fix: add jwt to the service or route, or tag the route public if it is meant to be anonymous`);
  }
  if (isPublic && (route.methods ?? []).some((m) => !SAFE_METHODS.includes(m))) {
    add("public-read-only", where, `a public route may only accept ${SAFE_METHODS.join(", ")}; found ${route.methods?.join(", ")}`);
  }
  if (jwt) {
    const c = jwt.config ?? {};
    const w = { ...where, plugin: "jwt" };
    if (!((c.claims_to_verify as string[] | undefined) ?? []).includes("exp")) add("jwt-exp", w, "claims_to_verify must include exp, otherwise Kong accepts expired tokens");
    const max = c.maximum_expiration as number | undefined;
    if (!(typeof max === "number" && max > 0 && max <= MAX_TOKEN_LIFETIME_S)) {
      add("jwt-max-lifetime", w, `maximum_expiration is ${JSON.stringify(max)}; set 1..${MAX_TOKEN_LIFETIME_S} seconds so long-lived tokens are refused`);
    }
    if (c.anonymous !== undefined && !isPublic) add("jwt-no-anonymous", w, `anonymous is set (${JSON.stringify(c.anonymous)}) on a route not tagged public: requests without a token would pass`);
    if (((c.uri_param_names as string[] | undefined) ?? ["jwt"]).length > 0 || ((c.cookie_names as string[] | undefined) ?? []).length > 0) {
      add("jwt-header-only", w, "tokens must come from the Authorization header only (uri_param_names: [], cookie_names: []); query strings end up in logs and caches");
    }
  }
  const acl = plugins.get("acl");
  if (acl && !jwt) add("acl-needs-auth", { ...where, plugin: "acl" }, "acl without an authentication plugin identifies no consumer");
  const cache = plugins.get("proxy-cache");
  if (cache && (!isPublic || jwt || acl)) {
    add("cache-public-only", { ...where, plugin: "proxy-cache" }, "proxy-cache on an authenticated route could serve one consumer's response to another; cache public routes only");
  }
  if (plugins.has("cors") && !(route.methods ?? []).includes("OPTIONS")) {
    add("cors-preflight", where, "cors applies but the route does not accept OPTIONS, so preflights get 404");
  }
  const rl = plugins.get("rate-limiting");
  if (rl && isPublic && (rl.config?.limit_by ?? "consumer") !== "ip") {
    add("rate-limit-key", { ...where, plugin: "rate-limiting" }, "a public route has no consumer; limit_by must be ip");
  }
}

function lintPluginSettings(plugin: KongPlugin, where: Finding["where"], opts: LintOptions, mode: KongMode, add: Add): void {
  const c = plugin.config ?? {};
  const w = { ...where, plugin: plugin.name };
  if (plugin.name === "rate-limiting") {
    const policy = (c.policy as string | undefined) ?? "local";
    if (opts.replicas > 1 && policy === "local") {
      add("rate-limit-shared", w, `policy local counts per gateway process; with ${opts.replicas} replicas a client gets ${opts.replicas}x the limit. Use redis (or cluster in database mode)`);
    }
    if (mode === "dbless" && policy === "cluster") add("rate-limit-dbless", w, "policy cluster needs Kong's database; a DB-less gateway refuses it. Use redis");
    const redis = (c.redis ?? {}) as Record<string, unknown>;
    if (policy === "redis" && (!redis.host || !redis.port)) add("rate-limit-redis", w, "policy redis needs redis.host and redis.port");
    if (redis.password !== undefined && !/^\{vault:\/\/[^}]+\}$/.test(String(redis.password))) {
      add("rate-limit-redis", w, "redis.password is a literal; reference it with {vault://env/...} so it is never in the file");
    }
  }
  if (plugin.name === "acl") {
    if (!Array.isArray(c.allow) || c.allow.length === 0) add("acl-allow", w, "acl must list the allowed groups (allow mode)");
    if (c.deny !== undefined) add("acl-allow", w, "acl must not use deny: a deny list lets every group not named through");
  }
  if (plugin.name === "proxy-cache") {
    if (c.cache_control !== true) add("cache-control", w, "cache_control must be true so Cache-Control: private / no-store from the upstream is honoured");
    const methods = (c.request_method as string[] | undefined) ?? ["GET", "HEAD"];
    if (methods.some((m) => m !== "GET" && m !== "HEAD")) add("cache-methods", w, `only GET and HEAD may be cached; found ${methods.join(", ")}`);
    if (!((c.vary_headers as string[] | undefined) ?? []).some((h) => h.toLowerCase() === "authorization")) {
      add("cache-vary-auth", w, "vary_headers must include authorization so a caller that sends credentials never gets another's entry");
    }
  }
  if (plugin.name === "cors") {
    const origins = c.origins as string[] | undefined;
    if (!origins?.length) add("cors-origins", w, "origins is empty; list the web origins allowed to call the API");
    if (origins?.some((o) => o.includes("*"))) add("cors-origins", w, `origins contains a wildcard (${origins.join(", ")}); list exact origins`);
  }
}

function lintConsumers(config: KongConfig, add: Add): void {
  for (const consumer of config.consumers ?? []) {
    for (const cred of consumer.jwt_secrets ?? []) {
      const w = { consumer: consumer.username, setting: `jwt_secrets ${cred.key}` };
      if (!ENV_REF.test(cred.secret) && cred.secret.length < 32) {
        add("credential-ref", w, 'secret must be a decK reference (${{ env "DECK_..." }}) or, once resolved, at least 32 characters');
      }
      if (!cred.algorithm.startsWith("HS")) {
        const key = cred.rsa_public_key ?? "";
        if (!ENV_REF.test(key) && !/^-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----\s*$/.test(key)) {
          add("credential-ref", w, `rsa_public_key must be a decK reference or, once resolved, a PEM public key (${cred.algorithm})`);
        }
      }
    }
  }
}

type Add = (rule: string, where: Finding["where"], message: string) => void;

/** The plugins that run on a route, the most specific scope winning (route > service > global). */
function allPlugins(config: KongConfig): { plugin: KongPlugin; where: Finding["where"] }[] {
  const out: { plugin: KongPlugin; where: Finding["where"] }[] = [];
  for (const p of config.plugins ?? []) out.push({ plugin: p, where: { ...(p.service ? { service: p.service } : {}), ...(p.route ? { route: p.route } : {}) } });
  for (const s of config.services ?? []) {
    for (const p of s.plugins ?? []) out.push({ plugin: p, where: { service: s.name } });
    for (const r of s.routes ?? []) for (const p of r.plugins ?? []) out.push({ plugin: p, where: { service: s.name, route: r.name } });
  }
  return out;
}

// The config fields of the bundled plugins we use, from Kong 3.9's schemas. decK's offline
// validation does not look inside plugin configs, so a misspelt field would otherwise be
// found only when a gateway refuses the file.
type FieldType = "string" | "boolean" | "number" | "integer" | "strings" | "integers" | { oneOf: string[] } | { someOf: string[] } | { record: Fields };
type Fields = Record<string, FieldType>;
const STRING_OPS: Fields = { body: "strings", headers: "strings", querystring: "strings" };
const PLUGIN_FIELDS: Record<string, Fields> = {
  jwt: {
    uri_param_names: "strings", cookie_names: "strings", header_names: "strings", key_claim_name: "string", secret_is_base64: "boolean",
    claims_to_verify: { someOf: ["exp", "nbf"] }, anonymous: "string", run_on_preflight: "boolean", maximum_expiration: "number", realm: "string",
  },
  acl: { allow: "strings", deny: "strings", hide_groups_header: "boolean", always_use_authenticated_groups: "boolean", include_consumer_groups: "boolean" },
  "rate-limiting": {
    second: "number", minute: "number", hour: "number", day: "number", month: "number", year: "number",
    limit_by: { oneOf: ["consumer", "credential", "ip", "service", "header", "path"] }, header_name: "string", path: "string",
    policy: { oneOf: ["local", "cluster", "redis"] }, fault_tolerant: "boolean", hide_client_headers: "boolean",
    error_code: "number", error_message: "string", sync_rate: "number",
    redis: { record: { host: "string", port: "integer", timeout: "integer", username: "string", password: "string", database: "integer", ssl: "boolean", ssl_verify: "boolean", server_name: "string" } },
  },
  "proxy-cache": {
    response_code: "integers", request_method: { someOf: ["HEAD", "GET", "POST", "PATCH", "PUT"] }, content_type: "strings", cache_ttl: "integer",
    strategy: { oneOf: ["memory"] }, cache_control: "boolean", ignore_uri_case: "boolean", storage_ttl: "integer",
    memory: { record: { dictionary_name: "string" } }, vary_query_params: "strings", vary_headers: "strings",
    response_headers: { record: { Age: "boolean", "X-Cache-Status": "boolean", "X-Cache-Key": "boolean" } },
  },
  cors: {
    origins: "strings", headers: "strings", exposed_headers: "strings", max_age: "number", credentials: "boolean",
    methods: { someOf: ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"] }, preflight_continue: "boolean", private_network: "boolean",
  },
  prometheus: { per_consumer: "boolean", status_code_metrics: "boolean", latency_metrics: "boolean", bandwidth_metrics: "boolean", upstream_health_metrics: "boolean", ai_metrics: "boolean" },
  "request-transformer": {
    http_method: "string", remove: { record: STRING_OPS }, rename: { record: STRING_OPS }, add: { record: STRING_OPS }, append: { record: STRING_OPS },
    replace: { record: { ...STRING_OPS, uri: "string" } },
  },
};

function checkPluginSchema(plugin: KongPlugin, where: Finding["where"], add: Add): void {
  const fields = PLUGIN_FIELDS[plugin.name];
  const w = { ...where, plugin: plugin.name };
  if (!fields) {
    add("plugin-known", w, `not one of the plugins this repository reviews (${Object.keys(PLUGIN_FIELDS).join(", ")}); add its fields to lint.ts with a reason`);
    return;
  }
  checkFields(plugin.config ?? {}, fields, "config", w, add);
}

function checkFields(value: Record<string, unknown>, fields: Fields, at: string, w: Finding["where"], add: Add): void {
  for (const [key, v] of Object.entries(value)) {
    const type = fields[key];
    const field = `${at}.${key}`;
    if (!type) {
      add("plugin-schema", w, `${field} is not a field of this plugin; known: ${Object.keys(fields).join(", ")}`);
      continue;
    }
    const problem = typeProblem(v, type);
    if (problem) add("plugin-schema", w, `${field} is ${JSON.stringify(v)}; expected ${problem}`);
    else if (typeof type === "object" && "record" in type) checkFields(v as Record<string, unknown>, type.record, field, w, add);
  }
}

/** What `value` should have been, or undefined when it fits. */
function typeProblem(value: unknown, type: FieldType): string | undefined {
  const strings = Array.isArray(value) && value.every((x) => typeof x === "string");
  if (type === "string") return typeof value === "string" ? undefined : "a string";
  if (type === "boolean") return typeof value === "boolean" ? undefined : "true or false";
  if (type === "number") return typeof value === "number" ? undefined : "a number";
  if (type === "integer") return Number.isInteger(value) ? undefined : "a whole number";
  if (type === "strings") return strings ? undefined : "a list of strings";
  if (type === "integers") return Array.isArray(value) && value.every((x) => Number.isInteger(x)) ? undefined : "a list of whole numbers";
  if ("oneOf" in type) return type.oneOf.includes(value as string) ? undefined : `one of ${type.oneOf.join(", ")}`;
  if ("someOf" in type) return strings && (value as string[]).every((x) => type.someOf.includes(x)) ? undefined : `a list of ${type.someOf.join(", ")}`;
  return typeof value === "object" && value !== null && !Array.isArray(value) ? undefined : "a mapping";
}
