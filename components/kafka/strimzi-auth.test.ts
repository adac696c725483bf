import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import YAML from "yaml";
import { TRANSFORMS } from "../capture";
import { kafkaAccess } from "./acls";
import { renderStrimziKafkaSpec } from "./strimzi";
import { renderKafkaUser, renderScramTlsListener, renderStrimziAuthorizationConfig, renderStrimziConnectAuth, STRIMZI_TLS_PORT } from "./strimzi-auth";

const ROOT = path.resolve(__dirname, "..", "..");

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; required?: string[]; enum?: unknown[]; "x-kubernetes-preserve-unknown-fields"?: boolean };

/** The generated Strimzi CRD's v1 schema of `kind` (scripts/test runs `scripts/crds ensure` first). */
function schemaOf(kind: string): Schema {
  const r = spawnSync(path.join(ROOT, "scripts/crds"), ["path", "strimzi"], { encoding: "utf8" });
  assert.equal(r.status, 0, `the strimzi CRDs are not generated: run \`scripts/crds ensure strimzi\`\n${r.stderr}`);
  const dir = r.stdout.trim();
  const index = JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8")) as { crds: { kind: string; file: string }[] };
  const entry = index.crds.find((c) => c.kind === kind);
  assert.ok(entry, `no ${kind} CRD in ${dir}`);
  const crd = YAML.parse(fs.readFileSync(path.join(dir, entry.file), "utf8")) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
  const v1 = crd.spec.versions.find((v) => v.name === "v1");
  assert.ok(v1, `${kind}: no v1 in the CRD`);
  return v1.schema.openAPIV3Schema;
}

/** Structural check as the API server does it: types, enums, required fields, and no unknown field (pruning would drop it silently). */
function violations(value: unknown, s: Schema, at = "$"): string[] {
  const out: string[] = [];
  if (s.enum && !s.enum.includes(value)) out.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
  if (s.type === "object" || s.properties) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return [...out, `${at}: not an object`];
    const o = value as Record<string, unknown>;
    for (const k of s.required ?? []) if (!(k in o)) out.push(`${at}.${k}: required`);
    for (const [k, v] of Object.entries(o)) {
      const sub = s.properties?.[k];
      if (sub) out.push(...violations(v, sub, `${at}.${k}`));
      else if (!s["x-kubernetes-preserve-unknown-fields"] && s.properties) out.push(`${at}.${k}: not in the schema`);
    }
  } else if (s.type === "array") {
    if (!Array.isArray(value)) return [...out, `${at}: not an array`];
    value.forEach((v, n) => out.push(...violations(v, s.items ?? {}, `${at}[${n}]`)));
  } else if (s.type === "string" && typeof value !== "string") out.push(`${at}: not a string`);
  else if ((s.type === "integer" || s.type === "number") && typeof value !== "number") out.push(`${at}: not a number`);
  else if (s.type === "boolean" && typeof value !== "boolean") out.push(`${at}: not a boolean`);
  return out;
}

const access = kafkaAccess({
  topicPrefix: "coexist",
  captures: ["public.orders", "public.customers"].map((table) => ({ table, collection: table.slice(7), key: "id", transform: TRANSFORMS[0] })),
  connect: { user: "coexist-connect", group: "coexist-connect", internalTopics: { configs: "coexist-connect.configs", offsets: "coexist-connect.offsets", status: "coexist-connect.status" } },
  worker: { user: "coexist-sync", group: "coexist-sync" },
});

describe("Strimzi renderings of the Kafka access description", () => {
  it("renders KafkaUsers that the generated KafkaUser v1 schema accepts, with exactly the description's rules", () => {
    const schema = schemaOf("KafkaUser");
    for (const p of [access.connect, access.worker]) {
      const user = renderKafkaUser(p, { cluster: "kafka", namespace: "coexist" });
      assert.deepEqual(violations(user, schema), []);
      const spec = user.spec as { authentication: { type: string }; authorization: { type: string; acls: unknown[] } };
      assert.equal(spec.authentication.type, "scram-sha-512");
      assert.equal(spec.authorization.acls.length, p.acls.length);
    }
    // The check itself rejects what the API server would: an operation outside the enum.
    const bad = renderKafkaUser({ user: "x", acls: [{ resource: { type: "topic", name: "t", patternType: "literal" }, operations: ["IdempotentWrites" as never] }] }, { cluster: "kafka", namespace: "n" });
    assert.match(violations(bad, schema).join("\n"), /IdempotentWrites/);
  });

  it("renders a TLS SCRAM-SHA-512 listener and simple authorisation that the Kafka v1 schema accepts", () => {
    const kafkaSchema = schemaOf("Kafka").properties!.spec!.properties!.kafka!;
    const listener = renderScramTlsListener([{ app: "connect" }, { app: "sync" }]);
    const kafka = { listeners: [listener], authorization: renderStrimziAuthorizationConfig() };
    assert.deepEqual(violations(kafka, { ...kafkaSchema, required: [] }), []);
    assert.equal(listener.tls, true);
    assert.equal(listener.port, STRIMZI_TLS_PORT);
    assert.deepEqual(listener.authentication, { type: "scram-sha-512" });
  });

  it("runs the User Operator, which turns the KafkaUsers into logins and Secrets, in a spec the Kafka v1 schema accepts", () => {
    const spec = renderStrimziKafkaSpec({ brokers: 3, storageSize: "1Gi", replicationFactor: 3, peers: { connect: { app: "connect" }, workers: { app: "sync" } } });
    assert.deepEqual(violations(spec, { ...schemaOf("Kafka").properties!.spec!, required: [] }), []);
    const eo = spec.entityOperator as { topicOperator?: object; userOperator?: object };
    assert.ok(eo.userOperator, "entityOperator.userOperator: without it no KafkaUser is reconciled and neither Connect nor the worker can log in");
    assert.ok(eo.topicOperator, "entityOperator.topicOperator: the stack's KafkaTopics");
  });

  it("renders Connect's login from the User Operator's Secret, accepted by the KafkaConnect v1 schema, with no password in the spec", () => {
    const spec = renderStrimziConnectAuth(access.connect.user, "kafka");
    const connectSchema = schemaOf("KafkaConnect").properties!.spec!;
    assert.deepEqual(violations(spec, { ...connectSchema, required: [] }), []);
    assert.deepEqual((spec.authentication as { passwordSecret: unknown }).passwordSecret, { secretName: "coexist-connect", password: "password" });
    assert.doesNotMatch(JSON.stringify(spec), /"password":"(?!password")/);
  });
});
