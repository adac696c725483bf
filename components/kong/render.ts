// Rendering imports nothing outside components/kong (and npm packages): `scripts/deck diff --ref`
// extracts only kong/ and components/kong/ at a git ref and renders with them.
import * as path from "path";
import YAML from "yaml";
import { collectSecretVariables, collectVaultVariables, envRef, resolveCredentials } from "./credentials";
import { formatFinding, lintKongConfig } from "./lint";
import { adminListenValue } from "./listen";
import { kongOverlayFor, parseOverlay } from "./overlay";
import type { BaseFacts, KongConfig, KongConsumer, KongMode, Overlay } from "./types";
import { describe, isRecord } from "./values";
import { canonical, KONG_DIR, readYaml, relative, toDeckYaml } from "./yaml";

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
  /** The stack it was rendered for. */
  stack: string;
  config: KongConfig;
  /** The file the gateway loads (with secrets when `resolveSecrets`). */
  yaml: string;
  /** Always with references, never secret values: safe for previews, diffs and logs. */
  reviewYaml: string;
  replicas: number;
  mode: KongMode;
  target: Overlay["target"];
  overlay: string;
  /** The overlay's Admin API address and port. */
  admin: Overlay["admin"];
  /** `KONG_ADMIN_LISTEN`: where the Admin API listens inside the gateway; lint keeps it on loopback. */
  adminListen: string;
  /** decK variables (`DECK_...`) holding the credentials the config references. */
  secretVariables: string[];
  /** Environment variables the Kong process itself must get from secrets (env vault references). */
  vaultVariables: string[];
  /** Kong settings (as KONG_* environment) this config depends on. */
  kongEnv: Record<string, string>;
}

/** The shared memory zone proxy-cache uses; Kong must declare it (see kongEnv). */
const PROXY_CACHE_DICT = "kong_proxy_cache";

/** Base + the stack's overlay → the declarative config, with stable key order so diffs are stable. */
export function renderKongConfig(stack: string, opts: RenderOptions = {}): RenderedKong {
  const kongDir = opts.kongDir ?? KONG_DIR;
  const overlayName = kongOverlayFor(stack);
  const basePath = path.join(kongDir, "base.yaml");
  const overlayPath = path.join(kongDir, "overlays", `${overlayName}.yaml`);
  const base = loadBase(basePath);
  const overlay = parseOverlay(readYaml(overlayPath), relative(overlayPath), baseFacts(base));

  const config = canonical(applyOverlay(base, overlay)) as KongConfig;
  const adminListen = adminListenValue(overlay.admin);
  if (opts.lint ?? true) {
    const findings = lintKongConfig(config, { replicas: overlay.replicas, mode: overlay.mode, adminListen });
    if (findings.length > 0) {
      throw new Error(
        `renderKongConfig(${stack}): ${relative(basePath)} + ${relative(overlayPath)} render a config our rules reject:\n` +
          findings.map((f) => `  ${formatFinding(f)}`).join("\n"),
      );
    }
  }
  const reviewYaml = header(overlayName) + toDeckYaml(config);
  const rendered: RenderedKong = {
    stack,
    config,
    yaml: reviewYaml,
    reviewYaml,
    replicas: overlay.replicas,
    mode: overlay.mode,
    target: overlay.target,
    overlay: overlayName,
    admin: overlay.admin,
    adminListen,
    secretVariables: collectSecretVariables(config),
    vaultVariables: collectVaultVariables(config),
    kongEnv: kongEnvFor(config),
  };
  return opts.resolveSecrets ? withCredentials(rendered, opts.env ?? process.env) : rendered;
}

/**
 * The gateway file of a rendering: its credential references replaced by their values from `env`
 * (`{"DECK_...": value}`). Pure, so the stack renders once and resolves inside an `apply` on its
 * secret credentials; the review YAML keeps the references.
 */
export function withCredentials(rendered: RenderedKong, env: NodeJS.ProcessEnv): RenderedKong {
  const config = resolveCredentials(rendered.config, env, `renderKongConfig(${rendered.stack})`);
  return { ...rendered, config, yaml: header(rendered.overlay) + YAML.stringify(config, { lineWidth: 0 }) };
}

function header(overlayName: string): string {
  return `# Rendered from kong/base.yaml + kong/overlays/${overlayName}.yaml by components/kong/render.ts; do not edit.\n`;
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

function kongEnvFor(config: KongConfig): Record<string, string> {
  const usesCache = JSON.stringify(config).includes(`"dictionary_name":"${PROXY_CACHE_DICT}"`);
  // Kong refuses a proxy-cache plugin whose shared dict is not declared (schema check at load).
  return usesCache ? { KONG_NGINX_HTTP_LUA_SHARED_DICT: `${PROXY_CACHE_DICT} 64m` } : {};
}
