import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseOverlay } from "./overlay";

const BASE = { services: ["orders", "products"], rateLimited: ["orders"] };
const FILE = "kong/overlays/test.yaml";

/** The smallest overlay the schema accepts, to vary one key at a time. */
function minimal(): Record<string, unknown> {
  return {
    mode: "dbless",
    target: "kubernetes",
    replicas: 1,
    admin: { address: "127.0.0.1" },
    services: { orders: { url: "http://orders:8000" }, products: { url: "http://products:8000" } },
    rate_limiting: { policy: "local" },
    cors: { origins: ["https://app.example.org"] },
  };
}

const fails = (doc: Record<string, unknown>, expected: RegExp) => assert.throws(() => parseOverlay(doc, FILE, BASE), expected);

describe("parseOverlay", () => {
  it("accepts a minimal overlay and defaults the Admin API port to 8001", () => {
    const o = parseOverlay(minimal(), FILE, BASE);
    assert.deepEqual(o.admin, { address: "127.0.0.1", port: 8001 });
    assert.deepEqual([o.mode, o.target, o.replicas, o.rate_limiting.policy], ["dbless", "kubernetes", 1, "local"]);
    assert.equal(o.consumers, undefined);
  });

  it("names the file, the key, the value and the fix on a wrong value", () => {
    fails({ ...minimal(), target: "helm" }, /^Error: kong\/overlays\/test\.yaml: key "target": found "helm"; expected one of docker, kubernetes$/);
    fails({ ...minimal(), replicas: 0 }, /key "replicas": found 0; expected an integer from 1 to 100/);
    fails({ ...minimal(), admin: { address: "127.0.0.1", port: 70000 } }, /key "admin\.port": found 70000; expected an integer from 1 to 65535/);
    fails({ ...minimal(), admin: { address: "127.0.0.1", listen: "0.0.0.0" } }, /key "admin\.listen": found "0\.0\.0\.0"; unknown key; allowed here: address, port/);
  });

  it("requires an upstream for every service of the base and no other", () => {
    fails({ ...minimal(), services: { orders: { url: "http://orders:8000" } } }, /key "services\.products": found nothing; every service of kong\/base\.yaml needs its upstream/);
    fails({ ...minimal(), services: { ...(minimal().services as object), billing: { url: "http://b:1" } } }, /key "services\.billing".*allowed here: orders, products/);
  });

  it("allows limits only for services the base rate-limits", () => {
    const o = parseOverlay({ ...minimal(), rate_limiting: { policy: "local", limits: { orders: 10 } } }, FILE, BASE);
    assert.deepEqual(o.rate_limiting.limits, { orders: 10 });
    fails({ ...minimal(), rate_limiting: { policy: "local", limits: { products: 10 } } }, /key "rate_limiting\.limits\.products".*allowed here: orders/);
  });

  it("requires Redis settings for the redis policy, and its password only as a vault reference", () => {
    fails({ ...minimal(), rate_limiting: { policy: "redis" } }, /key "rate_limiting\.redis": found nothing; policy redis needs/);
    const redis = { host: "r", port: 6379, password: "{vault://env/coexist-kong-redis-password}" };
    assert.deepEqual(parseOverlay({ ...minimal(), rate_limiting: { policy: "redis", redis } }, FILE, BASE).rate_limiting.redis, redis);
    fails({ ...minimal(), rate_limiting: { policy: "redis", redis: { ...redis, port: "6379" } } }, /key "rate_limiting\.redis\.port": found "6379"; expected a whole number/);
  });

  it("checks consumers: names, groups, jwt algorithm, uniqueness", () => {
    const consumer = { username: "web-app", groups: ["user"], jwt: { key: "https://issuer", algorithm: "RS256" } };
    assert.deepEqual(parseOverlay({ ...minimal(), consumers: [consumer] }, FILE, BASE).consumers, [consumer]);
    fails({ ...minimal(), consumers: [{ ...consumer, jwt: { key: "k", algorithm: "none" } }] }, /key "consumers\[0\]\.jwt\.algorithm": found "none"; expected one of RS256/);
    fails({ ...minimal(), consumers: [consumer, consumer] }, /key "consumers": found "web-app"; usernames must be unique/);
    fails({ ...minimal(), consumers: { "web-app": {} } }, /key "consumers": found \{"web-app":\{\}\}; expected a list of consumers/);
  });
});
