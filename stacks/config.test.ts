import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FAKE_DATAPLANE } from "../policy/testing";
import { localStackConfig } from "./local-stack";
import { stackConfig } from "./stack-files";
import { ConfigError, parseConfig, requiredSecrets } from "./config";

const CAPTURE = [
  { table: "public.orders", collection: "orders", key: "order_id", transform: "order" },
  { table: "public.customers", collection: "customers", key: "customer_id", transform: "customer" },
];
const SECRETS = { "coexist:postgresPassword": "p", "coexist:debeziumPassword": "d", "coexist:mongodbPassword": "m" };
const SECRET_KEYS = Object.keys(SECRETS);

function raw(overrides: Record<string, unknown> = {}): Record<string, string> {
  const values: Record<string, unknown> = { "coexist:target": "docker", "coexist:capture": CAPTURE, ...SECRETS, ...overrides };
  return Object.fromEntries(
    Object.entries(values)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    return [...e.problems];
  }
  assert.fail("expected the config to be rejected");
}

/** Loads a committed stack file the way Pulumi hands its values to the program. */
function stackFile(stack: string): Record<string, string> {
  return raw(stackConfig(stack));
}

describe("parseConfig", () => {
  it("accepts the committed dev, staging and prod stacks", () => {
    assert.equal(parseConfig(stackFile("dev"), "dev", SECRET_KEYS).environment, "dev");
    assert.equal(parseConfig(stackFile("staging"), "staging", SECRET_KEYS).target, "kubernetes");
    const prod = parseConfig(stackFile("prod"), "prod", SECRET_KEYS);
    assert.equal(prod.protect, true);
    assert.equal(prod.kafka.replicationFactor, 3);
  });

  it("chooses each service's mode from the target and the keys set, one union arm per realisation", () => {
    const modes = (c: ReturnType<typeof parseConfig>) => [c.target, c.postgres.mode, c.kafka.mode, c.connect.mode, c.mongodb.mode];
    assert.deepEqual(modes(parseConfig(stackFile("dev"), "dev", SECRET_KEYS)), ["docker", "container", "container", "container", "container"]);
    assert.deepEqual(modes(parseConfig(stackFile("staging"), "staging", SECRET_KEYS)), ["kubernetes", "cnpg", "strimzi", "strimzi", "community"]);
    assert.deepEqual(modes(parseConfig(stackFile("prod"), "prod", SECRET_KEYS)), ["kubernetes", "cnpg", "strimzi", "strimzi", "atlas"]);
    const external = parseConfig(raw({
      "coexist:target": "kubernetes", "coexist:environment": "staging",
      "coexist:postgres": { external: { host: "db.example.com" }, cdcSource: "existing" },
      "coexist:kafka": { external: { bootstrapServers: ["b-1.example.com:9092"] }, topics: "existing" },
      "coexist:connect": { external: { url: "http://connect.example.com:8083", passwordRef: "${file:/s/p.properties:password}" } },
      "coexist:mongodb": { external: {} },
      "coexist:workers": { image: "registry.example.com/coexist/worker:1.0.0" },
      "coexist:kubernetes": { egressCidrs: { sync: ["10.0.0.0/16"], reconciler: ["10.0.0.0/16"], mongoInit: ["10.0.0.0/16"], connect: ["10.0.0.0/16"], slotExporter: ["10.0.0.0/16"], apiServer: ["10.0.0.1/32"] } },
    }), "staging", SECRET_KEYS);
    assert.deepEqual(modes(external), ["kubernetes", "external", "external", "external", "external"]);
    // The arm carries exactly its own fields: an external server has no instances to provision.
    assert.deepEqual(external.postgres.mode === "external" && [external.postgres.host, external.postgres.port, external.postgres.sslmode, external.postgres.cdcSource], ["db.example.com", 5432, "verify-full", "existing"]);
    assert.equal("instances" in external.postgres, false);
  });

  it("derives defaults for a dev stack", () => {
    const c = parseConfig(raw(), "dev", SECRET_KEYS);
    assert.equal(c.protect, false);
    assert.equal(c.postgres.mode, "container");
    if (c.postgres.mode !== "container") return;
    assert.equal(c.postgres.demoSchema, true);
    assert.equal(c.postgres.maxSlotWalKeepSize, "2GB");
    assert.equal(c.postgres.slotName, "coexist_dev");
    assert.equal(c.kafka.replicationFactor, 1);
    assert.equal(c.topicPrefix, "coexist");
    assert.deepEqual(c.captures.map((x) => x.table), ["public.orders", "public.customers"]);
  });

  it("defaults the source generation to 0 and refuses one the connector cannot stamp", () => {
    assert.equal(parseConfig(raw(), "dev", SECRET_KEYS).postgres.generation, 0);
    assert.equal(parseConfig(raw({ "coexist:postgres": { generation: 2 } }), "dev", SECRET_KEYS).postgres.generation, 2);
    const [p] = problemsOf(() => parseConfig(raw({ "coexist:postgres": { generation: -1 } }), "dev", SECRET_KEYS));
    assert.match(p, /^coexist:postgres\.generation: .*-1/);
  });

  it("keeps 0 and false instead of replacing them with defaults", () => {
    const c = parseConfig(raw({ "coexist:workers": { batchMaxWaitMs: 0 }, "coexist:postgres": { demoSchema: false } }), "pr-7", SECRET_KEYS);
    assert.equal(c.workers.batchMaxWaitMs, 0);
    assert.equal(c.postgres.mode === "container" && c.postgres.demoSchema, false);
    assert.equal(c.environment, "pr");
    assert.equal(c.postgres.slotName, "coexist_pr_7");
  });

  it("rejects a table that is not schema-qualified, naming the key and the fix", () => {
    const [p] = problemsOf(() => parseConfig(raw({ "coexist:capture": [{ table: "orders", collection: "orders", key: "order_id", transform: "order" }] }), "dev", SECRET_KEYS));
    assert.match(p, /^coexist:capture\[0\]\.table: .*found "orders"; fix: prefix the schema, e.g. public\.orders/);
  });

  it("rejects two tables mapped to one collection", () => {
    const capture = [CAPTURE[0], { table: "public.archived_orders", collection: "orders", key: "order_id", transform: "order" }];
    const [p] = problemsOf(() => parseConfig(raw({ "coexist:capture": capture }), "dev", SECRET_KEYS));
    assert.match(p, /^coexist:capture\[1\]\.collection: "orders" is already the collection of coexist:capture\[0\]/);
  });

  it("accepts a composite key, its columns in _id order, and refuses spaces or a repeated column", () => {
    const c = parseConfig(raw({ "coexist:capture": [{ ...CAPTURE[0], key: "tenant_id,order_id" }] }), "dev", SECRET_KEYS);
    assert.equal(c.captures[0].key, "tenant_id,order_id");
    const [spaced] = problemsOf(() => parseConfig(raw({ "coexist:capture": [{ ...CAPTURE[0], key: "tenant_id, order_id" }] }), "dev", SECRET_KEYS));
    assert.match(spaced, /^coexist:capture\[0\]\.key: expected the primary-key column name, or a composite key's columns comma-separated/);
    const [twice] = problemsOf(() => parseConfig(raw({ "coexist:capture": [{ ...CAPTURE[0], key: "order_id,order_id" }] }), "dev", SECRET_KEYS));
    assert.match(twice, /^coexist:capture\[0\]\.key: order_id,order_id names a column twice/);
  });

  it("rejects an unknown transform and lists the known ones", () => {
    const [p] = problemsOf(() => parseConfig(raw({ "coexist:capture": [{ ...CAPTURE[0], transform: "ordre" }] }), "dev", SECRET_KEYS));
    assert.match(p, /^coexist:capture\[0\]\.transform: unknown transform "ordre"; fix: use one of order, customer, product, identity/);
  });

  it("rejects a port out of range", () => {
    const [p] = problemsOf(() => parseConfig(raw({ "coexist:connect": { port: 80830 } }), "dev", SECRET_KEYS));
    assert.equal(p, "coexist:connect.port: port out of range, found 80830; fix: use a whole number from 1 to 65535");
  });

  it("rejects a prod stack without protection", () => {
    const problems = problemsOf(() => parseConfig({ ...stackFile("prod"), "coexist:protect": "false" }, "prod", SECRET_KEYS));
    assert.deepEqual(problems, ["coexist:protect: prod must protect its stateful resources, found false; fix: remove the key or set it to true"]);
  });

  it("rejects an unknown target", () => {
    const [p] = problemsOf(() => parseConfig(raw({ "coexist:target": "nomad" }), "dev", SECRET_KEYS));
    assert.equal(p, 'coexist:target: unknown value "nomad"; fix: use one of docker, kubernetes');
  });

  it("rejects a missing target", () => {
    const [p] = problemsOf(() => parseConfig(raw({ "coexist:target": undefined }), "dev", SECRET_KEYS));
    assert.match(p, /^coexist:target: missing; fix: set it to one of docker, kubernetes/);
  });

  it("rejects unknown keys, so a typo does not silently fall back to a default", () => {
    const [p] = problemsOf(() => parseConfig(raw({ "coexist:captures": CAPTURE }), "dev", SECRET_KEYS));
    assert.match(p, /^coexist:captures: unknown key/);
  });

  it("rejects a password stored in plain text", () => {
    const [p] = problemsOf(() => parseConfig(raw(), "dev", ["coexist:postgresPassword", "coexist:mongodbPassword"]));
    assert.equal(p, "coexist:debeziumPassword: is stored in plain text; fix: pulumi config set --secret coexist:debeziumPassword <value>");
  });

  it("rejects an unbounded slot WAL size, which is what lets a dead slot fill the disk", () => {
    const [p] = problemsOf(() => parseConfig(raw({ "coexist:postgres": { maxSlotWalKeepSize: "-1" } }), "dev", SECRET_KEYS));
    assert.match(p, /^coexist:postgres\.maxSlotWalKeepSize: expected a size such as 2GB \(never -1/);
  });

  it("rejects the demo schema outside dev and pr stacks", () => {
    const [p] = problemsOf(() => parseConfig(raw({ "coexist:target": "kubernetes", "coexist:postgres": { demoSchema: true } }), "staging", SECRET_KEYS));
    assert.match(p, /^coexist:postgres\.demoSchema: only dev and pr-<n> stacks load the demo schema/);
  });

  it("rejects two services on one host port", () => {
    const [p] = problemsOf(() => parseConfig(raw({ "coexist:kong": { proxyPort: 18083 } }), "dev", SECRET_KEYS));
    assert.equal(p, "coexist:kong.proxyPort: port 18083 is already used by coexist:connect.port; fix: pick another host port");
  });

  it("reports every problem at once", () => {
    const problems = problemsOf(() => parseConfig(raw({ "coexist:target": "nomad", "coexist:kafka": { partitions: 0 } }), "dev", SECRET_KEYS));
    assert.equal(problems.length, 2);
  });

  it("requires a recognisable stack name or an explicit environment", () => {
    const [p] = problemsOf(() => parseConfig(raw(), "sandbox", SECRET_KEYS));
    assert.match(p, /^coexist:environment: stack "sandbox" is not dev, pr-<n>, local, staging or prod/);
    assert.equal(parseConfig(raw({ "coexist:environment": "dev" }), "sandbox", SECRET_KEYS).environment, "dev");
  });

  it("refuses Connect credentials in the plain-text URL of an external Connect, and asks for the secret when a user is set", () => {
    const local = localStackConfig(FAKE_DATAPLANE);
    const ref = FAKE_DATAPLANE.DEBEZIUM_PASSWORD_REF;
    const parse = (external: object) => parseConfig(raw({ ...local, "coexist:connect": { external } }), "local", SECRET_KEYS);
    const problems = problemsOf(() => parse({ url: "http://admin:hunter2@connect:8083", passwordRef: ref }));
    assert.ok(problems.some((p) => /^coexist:connect\.external\.url: carries credentials in plain config; fix: .*coexist:connect\.external\.user.*--secret coexist:connectPassword/.test(p)), problems.join("\n"));
    assert.ok(requiredSecrets(parse({ url: "http://connect:8083", passwordRef: ref, user: "coexist" })).includes("connectPassword"));
    const without = parse({ url: "http://connect:8083", passwordRef: ref });
    assert.ok(!requiredSecrets(without).includes("connectPassword"));
  });
});
