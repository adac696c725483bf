import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Finding, formatFinding, lintKongConfig } from "./lint";
import { renderKongConfig } from "./render";
import type { KongConfig, KongPlugin } from "./types";

/** A fresh copy of an environment's rendered config to break. */
function rendered(stack = "dev"): KongConfig {
  return structuredClone(renderKongConfig(stack).config);
}

function service(config: KongConfig, name: string) {
  const s = config.services.find((x) => x.name === name);
  assert.ok(s, name);
  return s;
}

function plugin(config: KongConfig, svc: string, name: string): KongPlugin {
  const p = service(config, svc).plugins?.find((x) => x.name === name);
  assert.ok(p, `${svc}/${name}`);
  return p;
}

function rules(findings: Finding[]): string[] {
  return [...new Set(findings.map((f) => f.rule))].sort();
}

describe("lintKongConfig", () => {
  it("fails a config that drops jwt from /orders, naming the service, the route and the reason", () => {
    const config = rendered();
    const orders = service(config, "orders");
    orders.plugins = orders.plugins?.filter((p) => p.name !== "jwt");
    const findings = lintKongConfig(config, { replicas: 1 });
    assert.deepEqual(rules(findings), ["route-auth"]);
    assert.deepEqual(findings[0].where, { service: "orders", route: "orders" });
    assert.match(formatFinding(findings[0]), /^\[route-auth\] service orders \/ route orders: not tagged "public" and no jwt plugin applies: anyone can call it/);
  });

  it("accepts jwt applied through a top-level plugin scoped to the route", () => {
    const config = rendered();
    const orders = service(config, "orders");
    const jwt = plugin(config, "orders", "jwt");
    orders.plugins = orders.plugins?.filter((p) => p.name !== "jwt");
    config.plugins = [...(config.plugins ?? []), { ...jwt, route: "orders" }];
    assert.deepEqual(lintKongConfig(config, { replicas: 1 }), []);
  });

  it("flags jwt that lets expired, long-lived, anonymous or query-string tokens through", () => {
    const config = rendered();
    const c = plugin(config, "analytics", "jwt").config as Record<string, unknown>;
    c.claims_to_verify = ["nbf"];
    c.maximum_expiration = 0;
    c.anonymous = "guest";
    c.uri_param_names = ["jwt"];
    assert.deepEqual(rules(lintKongConfig(config, { replicas: 1 })), ["jwt-exp", "jwt-header-only", "jwt-max-lifetime", "jwt-no-anonymous"]);
  });

  it("requires shared rate-limit counters when more than one replica runs", () => {
    const config = rendered("dev");
    const findings = lintKongConfig(config, { replicas: 3 });
    assert.deepEqual(rules(findings), ["rate-limit-shared"]);
    assert.deepEqual(findings.map((f) => f.where.service).sort(), ["analytics", "orders", "products"]);
    assert.deepEqual(lintKongConfig(config, { replicas: 1 }), []);
  });

  it("allows cluster counters only with a database", () => {
    const config = rendered("prod");
    for (const s of ["orders", "products", "analytics"]) {
      const c = plugin(config, s, "rate-limiting").config as Record<string, unknown>;
      c.policy = "cluster";
      delete c.redis;
    }
    assert.deepEqual(rules(lintKongConfig(config, { replicas: 3, mode: "dbless" })), ["rate-limit-dbless"]);
    assert.deepEqual(lintKongConfig(config, { replicas: 3, mode: "db" }), []);
  });

  it("refuses a literal Redis password", () => {
    const config = rendered("staging");
    (plugin(config, "orders", "rate-limiting").config?.redis as Record<string, unknown>).password = "plain";
    assert.deepEqual(rules(lintKongConfig(config, { replicas: 2 })), ["rate-limit-redis"]);
  });

  it("keeps the proxy cache off authenticated routes and honouring Cache-Control and Authorization", () => {
    const config = rendered();
    const cache = plugin(config, "products", "proxy-cache");
    service(config, "orders").plugins?.push(structuredClone(cache));
    const c = cache.config as Record<string, unknown>;
    c.cache_control = false;
    c.vary_headers = ["accept"];
    c.request_method = ["GET", "POST"];
    const findings = lintKongConfig(config, { replicas: 1 });
    assert.deepEqual(rules(findings), ["cache-control", "cache-methods", "cache-public-only", "cache-vary-auth"]);
    assert.deepEqual(findings.find((f) => f.rule === "cache-public-only")?.where, { service: "orders", route: "orders", plugin: "proxy-cache" });
  });

  it("keeps public routes read-only", () => {
    const config = rendered();
    service(config, "products").routes?.[0].methods?.push("POST");
    assert.deepEqual(rules(lintKongConfig(config, { replicas: 1 })), ["public-read-only"]);
  });

  it("requires acl in allow mode", () => {
    const config = rendered();
    (plugin(config, "users", "acl").config as Record<string, unknown>).deny = ["banned"];
    assert.deepEqual(rules(lintKongConfig(config, { replicas: 1 })), ["acl-allow"]);
  });

  it("catches misspelt plugin fields and plugins nobody reviewed, which decK's offline validation lets through", () => {
    const config = rendered();
    const c = plugin(config, "orders", "jwt").config as Record<string, unknown>;
    c.claims_to_verfy = c.claims_to_verify;
    plugin(config, "orders", "rate-limiting").config = { ...plugin(config, "orders", "rate-limiting").config, minute: "100" };
    service(config, "users").plugins?.push({ name: "key-auth" });
    const findings = lintKongConfig(config, { replicas: 1 });
    assert.deepEqual(rules(findings), ["plugin-known", "plugin-schema"]);
    assert.ok(findings.some((f) => f.message.startsWith("config.claims_to_verfy is not a field of this plugin")));
    assert.ok(findings.some((f) => f.message === 'config.minute is "100"; expected a number'));
  });

  it("requires cors with exact origins on every service, and OPTIONS on its routes", () => {
    const config = rendered();
    (plugin(config, "orders", "cors").config as Record<string, unknown>).origins = ["*"];
    const analytics = service(config, "analytics");
    analytics.plugins = analytics.plugins?.filter((p) => p.name !== "cors");
    service(config, "users").routes![0].methods = ["GET", "POST", "PUT"];
    assert.deepEqual(rules(lintKongConfig(config, { replicas: 1 })), ["cors-everywhere", "cors-origins", "cors-preflight"]);
  });

  it("requires prometheus and the X-Gateway-Version header globally", () => {
    const config = rendered();
    config.plugins = [];
    const findings = lintKongConfig(config, { replicas: 1 });
    assert.deepEqual(findings.map((f) => `${f.rule}:${f.where.plugin}`).sort(), ["global-plugins:prometheus", "global-plugins:request-transformer"]);
  });

  it("refuses an Admin API that listens beyond loopback on any of its listeners, which is what lets a workload POST /config", () => {
    const config = rendered();
    for (const adminListen of ["0.0.0.0:8001", "127.0.0.1:8001, 0.0.0.0:8444 http2 ssl", "[::]:8001", "10.0.0.5:8001 reuseport", "kong:8001"]) {
      const findings = lintKongConfig(config, { replicas: 1, adminListen });
      assert.deepEqual(rules(findings), ["admin-loopback"], adminListen);
      assert.match(findings[0].message, /^KONG_ADMIN_LISTEN is ".*": .* is reachable from other workloads/, adminListen);
    }
    for (const adminListen of ["127.0.0.1:8001", "127.0.0.1:8001 reuseport backlog=16384, [::1]:8444 http2 ssl", "off"]) {
      assert.deepEqual(lintKongConfig(config, { replicas: 1, adminListen }), [], adminListen);
    }
  });

  it("accepts credentials only as decK references or real key material", () => {
    const config = rendered();
    const cred = config.consumers?.[0].jwt_secrets?.[0];
    assert.ok(cred);
    cred.secret = "short";
    cred.rsa_public_key = "DECK_JWT_DEV_CLIENT_RSA_PUBLIC_KEY";
    const findings = lintKongConfig(config, { replicas: 1 });
    assert.deepEqual(findings.map((f) => f.rule), ["credential-ref", "credential-ref"]);
    assert.equal(findings[0].where.consumer, "dev-client");
  });
});
