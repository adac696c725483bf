import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import YAML from "yaml";
import { lintKongConfig } from "./lint";
import { kongOverlayFor } from "./overlay";
import { renderKongConfig, withCredentials } from "./render";
import type { KongConfig, KongPlugin } from "./types";
import { toDeckYaml } from "./yaml";

const STACKS = ["dev", "pr-42", "local", "staging", "prod"];
const KONG_DIR = path.resolve(__dirname, "../../kong");

/** A copy of kong/ to break on purpose; `edit` gets the parsed file and returns the new one. */
function kongCopy(file: string, edit: (doc: Record<string, unknown>) => unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kong-render-test-"));
  fs.cpSync(KONG_DIR, dir, { recursive: true });
  const target = path.join(dir, file);
  fs.writeFileSync(target, YAML.stringify(edit(YAML.parse(fs.readFileSync(target, "utf8")))));
  return dir;
}

function pluginsOn(config: KongConfig, service: string): Map<string, KongPlugin> {
  const s = config.services.find((x) => x.name === service);
  return new Map((s?.plugins ?? []).map((p) => [p.name, p]));
}

function credentials(stack: string): NodeJS.ProcessEnv {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const env: NodeJS.ProcessEnv = {};
  for (const v of renderKongConfig(stack).secretVariables) env[v] = v.endsWith("_RSA_PUBLIC_KEY") ? pem : "s".repeat(40);
  return env;
}

describe("kongOverlayFor", () => {
  it("maps every pr-<n> stack to the shared pr overlay and the long-lived stacks to their own", () => {
    assert.equal(kongOverlayFor("pr-123"), "pr");
    assert.equal(kongOverlayFor("pr-7"), "pr");
    assert.equal(kongOverlayFor("dev"), "dev");
    assert.equal(kongOverlayFor("local"), "local");
    assert.equal(kongOverlayFor("staging"), "staging");
    assert.equal(kongOverlayFor("prod"), "prod");
  });

  it("refuses an unknown stack naming it and the accepted names", () => {
    for (const stack of ["feature-x", "pr", "pr-", "pr-0", "PR-1", "production", "locale"]) {
      assert.throws(() => kongOverlayFor(stack), (e: Error) => e.message.includes(`"${stack}"`) && e.message.includes("pr-<number>"));
    }
  });
});

describe("renderKongConfig", () => {
  for (const stack of STACKS) {
    it(`renders ${stack} into a config our rules accept, and the YAML is that config`, () => {
      const r = renderKongConfig(stack);
      assert.deepEqual(lintKongConfig(r.config, { replicas: r.replicas, mode: r.mode, adminListen: r.adminListen }), []);
      assert.equal(r.config._format_version, "3.0");
      // The text spells references with decK's `indent` so multi-line values survive substitution.
      assert.deepEqual(YAML.parse(r.yaml.replace(/ \| indent \d+ \}\}/g, " }}")), r.config);
      assert.ok(r.config.services.every((s) => /^https?:\/\//.test(s.url ?? "")));
    });
  }

  it("puts jwt verifying exp with a bounded lifetime on every route not tagged public, in every environment", () => {
    for (const stack of STACKS) {
      const { config } = renderKongConfig(stack);
      for (const service of config.services) {
        for (const route of service.routes ?? []) {
          if (route.tags?.includes("public")) continue;
          const jwt = pluginsOn(config, service.name).get("jwt") ?? route.plugins?.find((p) => p.name === "jwt");
          assert.ok(jwt, `${stack}: ${route.name} has no jwt`);
          assert.ok((jwt.config?.claims_to_verify as string[]).includes("exp"), `${stack}: ${route.name} does not verify exp`);
          const max = jwt.config?.maximum_expiration as number;
          assert.ok(max > 0 && max <= 86400, `${stack}: ${route.name} maximum_expiration ${max}`);
          assert.equal(jwt.config?.anonymous, undefined);
        }
      }
    }
  });

  it("marks only GET /products public, and caches only there", () => {
    for (const stack of STACKS) {
      const { config } = renderKongConfig(stack);
      const publicRoutes = config.services.flatMap((s) => (s.routes ?? []).filter((r) => r.tags?.includes("public")).map((r) => r.name));
      assert.deepEqual(publicRoutes, ["products"]);
      const cached = config.services.filter((s) => pluginsOn(config, s.name).has("proxy-cache")).map((s) => s.name);
      assert.deepEqual(cached, ["products"]);
      assert.equal(pluginsOn(config, "products").get("proxy-cache")?.config?.cache_control, true);
    }
  });

  it("never uses local rate limiting in an environment with more than one gateway replica", () => {
    const multi = STACKS.map((s) => renderKongConfig(s)).filter((r) => r.replicas > 1);
    assert.ok(multi.length >= 2, "staging and prod run several replicas");
    for (const r of multi) {
      for (const s of r.config.services) {
        const policy = pluginsOn(r.config, s.name).get("rate-limiting")?.config?.policy;
        if (policy !== undefined) assert.notEqual(policy, "local", `${r.overlay}: ${s.name}`);
      }
    }
  });

  it("keeps the table's limits unless an overlay overrides them", () => {
    const { config } = renderKongConfig("dev");
    const minute = (svc: string) => pluginsOn(config, svc).get("rate-limiting")?.config?.minute;
    assert.deepEqual([minute("orders"), minute("products"), minute("analytics")], [100, 1000, 50]);
  });

  it("renders the same bytes whatever the key order of the overlay", () => {
    const shuffled = kongCopy("overlays/staging.yaml", (doc) => Object.fromEntries(Object.entries(doc).reverse()));
    assert.equal(renderKongConfig("staging", { kongDir: shuffled }).yaml, renderKongConfig("staging").yaml);
    assert.equal(renderKongConfig("staging").yaml, renderKongConfig("staging").yaml);
  });

  it("fails on a broken overlay naming the file, the key, the value found and the fix", () => {
    const cases: [string, (d: Record<string, unknown>) => unknown, RegExp][] = [
      ["misspelt policy", (d) => ({ ...d, rate_limiting: { ...(d.rate_limiting as object), policy: "locla" } }), /key "rate_limiting\.policy": found "locla"; expected one of local, redis, cluster/],
      ["unknown key", (d) => ({ ...d, rate_limting: {} }), /key "rate_limting": found \{\}; unknown key; allowed here: mode, target/],
      ["missing upstream", (d) => ({ ...d, services: { ...(d.services as object), orders: undefined } }), /key "services\.orders": found nothing; every service of kong\/base\.yaml needs its upstream/],
      ["token lifetime too long", (d) => ({ ...d, jwt: { maximum_expiration: 31536000 } }), /key "jwt\.maximum_expiration": found 31536000; expected an integer from 60 to 86400/],
      ["wildcard origin", (d) => ({ ...d, cors: { origins: ["*"] } }), /key "cors\.origins\[0\]": found "\*"; expected origins/],
    ];
    for (const [name, edit, expected] of cases) {
      const dir = kongCopy("overlays/dev.yaml", edit);
      assert.throws(() => renderKongConfig("dev", { kongDir: dir }), (e: Error) => {
        assert.match(e.message, /overlays\/dev\.yaml: /, name);
        assert.match(e.message, expected, name);
        return true;
      });
    }
  });

  it("gives Kong an Admin API listener on loopback in every environment", () => {
    for (const stack of STACKS) assert.match(renderKongConfig(stack).adminListen, /^127\.0\.0\.1:\d+$/, stack);
  });

  it("refuses an overlay whose Admin API would listen on every interface, naming the setting Kong would get", () => {
    const dir = kongCopy("overlays/staging.yaml", (d) => ({ ...d, admin: { address: "0.0.0.0", port: 8001 } }));
    assert.throws(() => renderKongConfig("staging", { kongDir: dir }), /\[admin-loopback\] setting admin: KONG_ADMIN_LISTEN is "0\.0\.0\.0:8001"/);
    assert.equal(renderKongConfig("staging", { kongDir: dir, lint: false }).adminListen, "0.0.0.0:8001", "what the gateway would have been given");
  });

  it("runs the local stack as one DB-less Kubernetes replica with local counters and cluster-local upstreams", () => {
    const r = renderKongConfig("local");
    assert.deepEqual([r.target, r.mode, r.replicas], ["kubernetes", "dbless", 1]);
    const policies = r.config.services.map((s) => pluginsOn(r.config, s.name).get("rate-limiting")?.config?.policy).filter(Boolean);
    assert.deepEqual([...new Set(policies)], ["local"]);
    for (const s of r.config.services) assert.match(s.url ?? "", /^http:\/\/[a-z]+\.coexist-local\.svc\.cluster\.local:\d+$/, s.name);
    assert.deepEqual(r.vaultVariables, [], "no Redis, so no secret Kong reads from its environment");
  });

  it("refuses a literal Redis password without printing it", () => {
    const dir = kongCopy("overlays/prod.yaml", (d) => ({ ...d, rate_limiting: { policy: "redis", redis: { host: "r", port: 6379, password: "hunter2-literal" } } }));
    assert.throws(() => renderKongConfig("prod", { kongDir: dir }), (e: Error) => /rate_limiting\.redis\.password.*\{vault:\/\/env\//.test(e.message) && !e.message.includes("hunter2"));
  });

  it("refuses a base whose render breaks our rules, listing the findings", () => {
    const dir = kongCopy("base.yaml", (d) => {
      const orders = (d.services as { name: string; plugins: { name: string }[] }[]).find((s) => s.name === "orders");
      if (orders) orders.plugins = orders.plugins.filter((p) => p.name !== "jwt");
      return d;
    });
    assert.throws(() => renderKongConfig("dev", { kongDir: dir }), /\[route-auth\] service orders \/ route orders/);
  });

  it("refuses an upstream URL in the base", () => {
    const dir = kongCopy("base.yaml", (d) => {
      (d.services as Record<string, unknown>[])[0].url = "http://somewhere:80";
      return d;
    });
    assert.throws(() => renderKongConfig("dev", { kongDir: dir }), /base\.yaml: key "services\[0\]\.url" is set in the base \("http:\/\/somewhere:80"\)/);
  });
});

describe("credentials", () => {
  it("keeps references by default, and a gateway rendering names every variable that is missing", () => {
    const r = renderKongConfig("staging");
    assert.deepEqual(r.secretVariables, ["DECK_JWT_BACKOFFICE_RSA_PUBLIC_KEY", "DECK_JWT_BACKOFFICE_SECRET", "DECK_JWT_WEB_APP_RSA_PUBLIC_KEY", "DECK_JWT_WEB_APP_SECRET"]);
    assert.match(r.yaml, /\$\{\{ env "DECK_JWT_WEB_APP_RSA_PUBLIC_KEY" \| indent \d+ \}\}/);
    assert.throws(
      () => renderKongConfig("staging", { resolveSecrets: true, env: {} }),
      (e: Error) => r.secretVariables.every((v) => e.message.includes(v)),
    );
  });

  it("puts the credentials in the gateway file only, never in the review YAML", () => {
    const env = credentials("dev");
    const r = renderKongConfig("dev", { resolveSecrets: true, env });
    const pem = env.DECK_JWT_DEV_CLIENT_RSA_PUBLIC_KEY as string;
    const cred = (YAML.parse(r.yaml) as KongConfig).consumers?.[0].jwt_secrets?.[0];
    assert.equal(cred?.rsa_public_key, pem);
    assert.ok(!r.reviewYaml.includes(pem.split("\n")[1]));
    assert.deepEqual(lintKongConfig(r.config, { replicas: r.replicas }), []);
  });

  it("resolves a rendering made once into the same gateway file a resolving render gives, leaving its review YAML alone", () => {
    const env = credentials("prod");
    const once = renderKongConfig("prod");
    const resolved = withCredentials(once, env);
    assert.equal(resolved.yaml, renderKongConfig("prod", { resolveSecrets: true, env }).yaml);
    assert.equal(resolved.reviewYaml, once.reviewYaml);
    assert.ok(once.yaml.includes('env "DECK_JWT_WEB_APP_RSA_PUBLIC_KEY"'), "the rendering it started from still holds references");
    assert.throws(() => withCredentials(once, {}), /renderKongConfig\(prod\): the gateway file needs credentials that are not set: DECK_JWT_BACKOFFICE_RSA_PUBLIC_KEY/);
  });

  it("refuses a public-key variable that does not hold a PEM key, naming the variable only", () => {
    const env = { ...credentials("dev"), DECK_JWT_DEV_CLIENT_RSA_PUBLIC_KEY: "not-a-key-value" };
    assert.throws(() => renderKongConfig("dev", { resolveSecrets: true, env }), (e: Error) => e.message.includes("DECK_JWT_DEV_CLIENT_RSA_PUBLIC_KEY is set but is not a PEM") && !e.message.includes("not-a-key-value"));
  });

  it("writes references so decK's substitution of a multi-line key yields that exact key", () => {
    const pem = "-----BEGIN PUBLIC KEY-----\nAAAA\nBBBB\n-----END PUBLIC KEY-----";
    const text = toDeckYaml({ consumers: [{ username: "u", jwt_secrets: [{ key: "k", rsa_public_key: '${{ env "DECK_K" }}' }] }] });
    // decK's `indent n` prefixes every line after the first with n spaces.
    const substituted = text.replace(/\$\{\{ env "DECK_K" \| indent (\d+) \}\}/, (_m, n: string) => pem.replace(/\n/g, `\n${" ".repeat(Number(n))}`));
    assert.equal(YAML.parse(substituted).consumers[0].jwt_secrets[0].rsa_public_key, pem);
  });

  it("tells the gateway what Kong needs: the cache's shared dict and the vault variables", () => {
    const staging = renderKongConfig("staging");
    assert.deepEqual(staging.vaultVariables, ["COEXIST_KONG_REDIS_PASSWORD"]);
    assert.match(staging.kongEnv.KONG_NGINX_HTTP_LUA_SHARED_DICT, /^kong_proxy_cache \d+m$/);
    assert.deepEqual(renderKongConfig("dev").vaultVariables, []);
  });
});
