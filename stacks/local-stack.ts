import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { withProjectConfig } from "./stack-files";

/**
 * Renders the `local` stack's `coexist:*` config from stacks/Pulumi.local.template.yaml and the
 * data plane's values (its .dataplane/env). Pure apart from reading the template; scripts/stack,
 * the policy pack's tests and the mock tests all render it here, so no layer reaches into scripts/.
 */

export const LOCAL_TEMPLATE = path.join(__dirname, "Pulumi.local.template.yaml");

const PLACEHOLDER = /\$\{([A-Z_]+)(?::(number|list))?\}/g;

/**
 * `id` names the stack's namespace, topics, slot, publication and read-model database, so several
 * local stacks (a developer's and the test suite's) can share one data plane.
 */
export function renderLocalStack(template: string, env: object, id = "local"): Record<string, unknown> {
  if (!/^[a-z0-9-]{1,40}$/.test(id)) throw new Error(`local stack id "${id}": use lower-case letters, digits and -`);
  const vars: Record<string, string | undefined> = { ...(env as Record<string, string | undefined>), ID: id, SUFFIX: id.replace(/[^a-z0-9]/g, "_") };
  const value = (name: string, kind: string | undefined): unknown => {
    const v = vars[name];
    if (v === undefined || v === "") throw new Error(`stacks/Pulumi.local.template.yaml: \${${name}} is not set by the data plane; fix: scripts/dataplane up --kubernetes (it writes .dataplane/env)`);
    if (kind === "number") {
      const n = Number(v);
      if (!Number.isInteger(n)) throw new Error(`stacks/Pulumi.local.template.yaml: \${${name}:number} is "${v}", not a whole number`);
      return n;
    }
    return kind === "list" ? v.split(",") : v;
  };
  const fill = (node: unknown): unknown => {
    if (typeof node === "string") {
      const whole = /^\$\{([A-Z_]+)(?::(number|list))?\}$/.exec(node);
      if (whole) return value(whole[1]!, whole[2]);
      return node.replace(PLACEHOLDER, (_m, name: string, kind?: string) => {
        if (kind !== undefined) throw new Error(`stacks/Pulumi.local.template.yaml: \${${name}:${kind}} must be a whole value, found inside "${node}"`);
        return String(value(name, undefined));
      });
    }
    if (Array.isArray(node)) return node.map(fill);
    if (node !== null && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v)]));
    return node;
  };
  const doc = parse(template) as { config?: Record<string, unknown> } | null;
  if (!doc?.config) throw new Error("stacks/Pulumi.local.template.yaml: no config: block");
  return fill(doc.config) as Record<string, unknown>;
}

/** What stacks/Pulumi.local.yaml holds: the committed template, filled. */
export function localStackFile(env: object, id = "local"): Record<string, unknown> {
  return renderLocalStack(fs.readFileSync(LOCAL_TEMPLATE, "utf8"), env, id);
}

/** The local stack's config as the engine sees it: the project-level values (Pulumi.yaml) under the rendered file's. */
export function localStackConfig(env: object, id = "local"): Record<string, unknown> {
  return withProjectConfig(localStackFile(env, id));
}

/** A data plane as `scripts/dataplane up --kubernetes` describes it, for rendering the local stack's config without one. */
export const FAKE_DATAPLANE = {
  PGHOST: "127.0.0.1", PGPORT: "55432", PGUSER: "postgres", PGDATABASE: "coexist", POSTGRES_URL: "postgresql://postgres@127.0.0.1:55432/coexist",
  KAFKA_BROKERS: "127.0.0.1:59092", CONNECT_URL: "http://127.0.0.1:58083", CONNECT_USER: "coexist", CONNECT_PASSWORD: "connect-Test-s3cret", MONGODB_URL: "mongodb://127.0.0.1:57017/",
  KAFKA_WORKER_USER: "coexist-sync", DEBEZIUM_USER: "coexist_debezium", DEBEZIUM_PASSWORD_REF: "${file:/tmp/dataplane/secrets/postgres.properties:password}",
  KUBECONFIG: "/tmp/dataplane/kubeconfig", DATAPLANE_DIR: "/tmp/dataplane",
};
