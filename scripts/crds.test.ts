import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import YAML from "yaml";
import pins from "../versions.json";
import { buildIndex, CrdIndex, describeCrd } from "./crds.d/crd-index";

const ROOT = path.resolve(__dirname, "..");

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; required?: string[]; enum?: unknown[] };
type Crd = { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };

interface Generated {
  dir: string;
  index: CrdIndex;
  crd(kind: string): Crd;
}

/** The operator's generated CRDs. `scripts/test` runs `scripts/crds ensure` before the unit tests. */
function generated(operator: string): Generated {
  const r = spawnSync(path.join(ROOT, "scripts/crds"), ["path", operator], { encoding: "utf8" });
  const dir = r.stdout.trim();
  assert.equal(r.status, 0, `the ${operator} CRDs are not generated (${dir}): run \`scripts/crds ensure ${operator}\`\n${r.stderr}`);
  const index = JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8")) as CrdIndex;
  return {
    dir,
    index,
    crd(kind) {
      const entry = index.crds.find((c) => c.kind === kind);
      assert.ok(entry, `${operator}: no CRD of kind ${kind} in ${dir}/index.json (kinds: ${index.crds.map((c) => c.kind).join(", ")})`);
      return YAML.parse(fs.readFileSync(path.join(dir, entry.file), "utf8")) as Crd;
    },
  };
}

/** The schema at a dotted path below a version's openAPIV3Schema; `[]` steps into array items. */
function at(crd: Crd, version: string, dotted: string): Schema {
  const v = crd.spec.versions.find((x) => x.name === version);
  assert.ok(v, `${crd.metadata.name} has no version ${version}`);
  let s: Schema = v.schema.openAPIV3Schema;
  let walked = "";
  for (const step of dotted.split(".")) {
    const name = step.replace(/\[\]$/, "");
    const next: Schema | undefined = s.properties?.[name];
    walked += (walked ? "." : "") + name;
    assert.ok(next, `${crd.metadata.name} ${version}: no ${walked} in the schema`);
    s = next;
    if (step.endsWith("[]")) {
      assert.equal(s.type, "array", `${crd.metadata.name} ${version}: ${walked} is ${s.type}, not an array`);
      assert.ok(s.items, `${crd.metadata.name} ${version}: ${walked} has no items schema`);
      s = s.items;
      walked += "[]";
    }
  }
  return s;
}

function absent(crd: Crd, version: string, parent: string, field: string): boolean {
  return !(field in (at(crd, version, parent).properties ?? {}));
}

function servedVersions(g: Generated, kind: string): { served: string[]; storage: string[] } {
  const e = g.index.crds.find((c) => c.kind === kind);
  assert.ok(e, `no ${kind} in the index`);
  return { served: e.versions.filter((v) => v.served).map((v) => v.name), storage: e.versions.filter((v) => v.storage).map((v) => v.name) };
}

/** A registry module's directory in the Go module cache (downloads it when missing). */
function goModuleDir(module: string, version: string): string {
  const r = spawnSync("go", ["mod", "download", "-json", `${module}@${version}`], { cwd: os.tmpdir(), encoding: "utf8", env: { ...process.env, GOFLAGS: "-mod=mod" } });
  assert.equal(r.status, 0, `go mod download ${module}@${version}: ${r.stdout}${r.stderr}`);
  return (JSON.parse(r.stdout) as { Dir: string }).Dir;
}

/** A parsed CRD without what depends on the controller-gen release rather than on the API. */
function comparable(doc: unknown, dropDescriptions: boolean): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => !(dropDescriptions && k === "description") && k !== "controller-gen.kubebuilder.io/version")
          .map(([k, x]) => [k, strip(x)]),
      );
    }
    return v;
  };
  return strip(doc);
}

/** Every file the operator's module ships in config/crd/bases equals what controller-gen generated from its API. */
function assertMatchesModuleBases(g: Generated, module: string, version: string, dropDescriptions: boolean): void {
  const bases = path.join(goModuleDir(module, version), "config/crd/bases");
  const shipped = fs.readdirSync(bases).filter((f) => f.endsWith(".yaml")).sort();
  assert.deepEqual(g.index.crds.map((c) => c.file).sort(), shipped, `the generated files differ from ${bases}`);
  for (const f of shipped) {
    const ours = YAML.parse(fs.readFileSync(path.join(g.dir, f), "utf8"));
    const theirs = YAML.parse(fs.readFileSync(path.join(bases, f), "utf8"));
    assert.deepEqual(comparable(ours, dropDescriptions), comparable(theirs, dropDescriptions), `${f} differs from the one ${module}@${version} ships`);
  }
}

const minimalCrd = (over: Record<string, unknown> = {}) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.example.com" },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { kind: "Widget", plural: "widgets" },
    versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } }],
    ...over,
  },
});

describe("crd index (pure)", () => {
  it("describes a CRD by file, name, group, kind, scope and versions", () => {
    assert.deepEqual(describeCrd(minimalCrd(), "w.yaml"), {
      file: "w.yaml", name: "widgets.example.com", group: "example.com", kind: "Widget", plural: "widgets", scope: "Namespaced",
      versions: [{ name: "v1", served: true, storage: true }],
    });
  });

  it("refuses a document that is not an apiextensions.k8s.io/v1 CustomResourceDefinition", () => {
    assert.throws(() => describeCrd({ ...minimalCrd(), apiVersion: "apiextensions.k8s.io/v1beta1" }, "old.yaml"), /old\.yaml: expected apiextensions\.k8s\.io\/v1 CustomResourceDefinition/);
    assert.throws(() => describeCrd({ ...minimalCrd(), kind: "ConfigMap" }, "cm.yaml"), /cm\.yaml: expected/);
  });

  it("refuses a version without an openAPIV3Schema, naming the version", () => {
    const crd = minimalCrd({ versions: [{ name: "v1", served: true, storage: true, schema: {} }] });
    assert.throws(() => describeCrd(crd, "w.yaml"), /spec\.versions\[0\]\.schema: openAPIV3Schema must be an object/);
  });

  it("refuses a CRD with no storage version or with two", () => {
    const v = (name: string, storage: boolean) => ({ name, served: true, storage, schema: { openAPIV3Schema: { type: "object" } } });
    assert.throws(() => describeCrd(minimalCrd({ versions: [v("v1", false)] }), "w.yaml"), /exactly one version must be the storage version, found \[\]/);
    assert.throws(() => describeCrd(minimalCrd({ versions: [v("v1", true), v("v2", true)] }), "w.yaml"), /found \[v1, v2\]/);
  });

  it("refuses a name that is not <plural>.<group>", () => {
    assert.throws(() => describeCrd({ ...minimalCrd(), metadata: { name: "gadgets.example.com" } }, "w.yaml"), /not <plural>\.<group>/);
  });

  it("refuses a file holding several documents, and two files defining one CRD", () => {
    const text = YAML.stringify(minimalCrd());
    const meta = { operator: "x", version: "1", source: "s", generator: "g" };
    assert.throws(() => buildIndex(meta, [{ file: "two.yaml", text: `${text}---\n${text}` }]), /two\.yaml: expected one CRD document, found 2/);
    assert.throws(() => buildIndex(meta, [{ file: "a.yaml", text }, { file: "b.yaml", text }]), /b\.yaml and a\.yaml both define widgets\.example\.com/);
    assert.throws(() => buildIndex(meta, []), /x: the generator wrote no CRD file/);
  });
});

describe("versions.json operators", () => {
  const ops = pins.operators as unknown as Record<string, { version: string; chart: { repository: string; name: string; version: string; skipCrds: boolean; values: Record<string, unknown> }; crds: Record<string, string> }>;

  it("pins each operator, its chart and how the chart is kept off the CRDs", () => {
    for (const [name, op] of Object.entries(ops)) {
      if (name.startsWith("$")) continue;
      assert.match(op.version, /^\d+\.\d+\.\d+$/, `${name}.version`);
      assert.match(op.chart.repository, /^(oci|https):\/\//, `${name}.chart.repository`);
      assert.match(op.chart.version, /^\d+\.\d+\.\d+$/, `${name}.chart.version`);
      assert.equal(typeof op.chart.skipCrds, "boolean", `${name}.chart.skipCrds`);
      assert.equal(typeof op.chart.values, "object", `${name}.chart.values`);
    }
    // Strimzi and MCK keep their CRDs in the chart's crds/ dir (no value turns it off); CNPG's are templates behind crds.create.
    assert.equal(ops.strimzi.chart.skipCrds, true);
    assert.equal(ops["mongodb-kubernetes"].chart.skipCrds, true);
    assert.deepEqual(ops["cloudnative-pg"].chart.values.crds, { create: false });
  });

  it("generates Strimzi's CRDs from the release the stack runs", () => {
    assert.equal(ops.strimzi.version, "1.2.0");
    assert.equal(ops.strimzi.crds.version, ops.strimzi.version);
    assert.equal(`v${ops["cloudnative-pg"].version}`, ops["cloudnative-pg"].crds.version);
  });
});

describe("Strimzi CRDs (io.strimzi:crd-generator on io.strimzi:api)", () => {
  const g = generated("strimzi");

  it("are every CRD Strimzi 1.2.0 ships, from the pinned version", () => {
    assert.equal(g.index.version, pins.operators.strimzi.crds.version);
    assert.deepEqual(g.index.crds.map((c) => `${c.group}/${c.kind}`).sort(), [
      "core.strimzi.io/StrimziPodSet",
      "kafka.strimzi.io/Kafka", "kafka.strimzi.io/KafkaBridge", "kafka.strimzi.io/KafkaConnect", "kafka.strimzi.io/KafkaConnector",
      "kafka.strimzi.io/KafkaMirrorMaker2", "kafka.strimzi.io/KafkaNodePool", "kafka.strimzi.io/KafkaRebalance",
      "kafka.strimzi.io/KafkaTopic", "kafka.strimzi.io/KafkaUser",
    ].sort());
  });

  it("serve and store v1 only, for every kind the stack declares", () => {
    for (const kind of ["Kafka", "KafkaNodePool", "KafkaConnect", "KafkaConnector", "KafkaTopic", "KafkaUser", "StrimziPodSet"]) {
      assert.deepEqual(servedVersions(g, kind), { served: ["v1"], storage: ["v1"] }, kind);
    }
  });

  it("carry the labels Strimzi's install files select CRDs by", () => {
    for (const c of g.index.crds) assert.deepEqual(g.crd(c.kind).metadata.labels, { app: "strimzi", "strimzi.io/crd-install": "true" }, c.kind);
  });

  it("describe KafkaConnect with groupId, the storage topics, build and config", () => {
    const kc = g.crd("KafkaConnect");
    for (const f of ["groupId", "configStorageTopic", "offsetStorageTopic", "statusStorageTopic", "bootstrapServers", "config"]) at(kc, "v1", `spec.${f}`);
    assert.deepEqual(at(kc, "v1", "spec.build").required, ["output", "plugins"]);
    assert.deepEqual(at(kc, "v1", "spec.build.output").required, ["image", "type"]);
    at(kc, "v1", "spec.build.plugins[].artifacts[].group");
    assert.ok(at(kc, "v1", "spec.build.plugins[].artifacts[].type").enum?.includes("maven"), "build artifacts can come from Maven");
    // In v1 the stack must set all of these: the API server refuses a KafkaConnect without one.
    assert.deepEqual([...(at(kc, "v1", "spec").required ?? [])].sort(), ["bootstrapServers", "configStorageTopic", "groupId", "offsetStorageTopic", "replicas", "statusStorageTopic"]);
  });

  it("describe KafkaConnector with class, config and autoRestart", () => {
    const k = g.crd("KafkaConnector");
    at(k, "v1", "spec.class");
    at(k, "v1", "spec.config");
    at(k, "v1", "spec.autoRestart.enabled");
    at(k, "v1", "spec.tasksMax");
  });

  it("describe a KRaft-only Kafka with node pools", () => {
    const kafka = g.crd("Kafka");
    at(kafka, "v1", "spec.kafka.listeners[].tls");
    assert.ok(absent(kafka, "v1", "spec", "zookeeper"), "Strimzi 1.x has no ZooKeeper");
    assert.deepEqual(at(g.crd("KafkaNodePool"), "v1", "spec.roles[]").enum, ["controller", "broker"]);
    for (const f of ["partitions", "replicas", "config"]) at(g.crd("KafkaTopic"), "v1", `spec.${f}`);
  });
});

describe("CloudNativePG CRDs (controller-gen on github.com/cloudnative-pg/cloudnative-pg)", () => {
  const g = generated("cloudnative-pg");
  const pin = pins.operators["cloudnative-pg"].crds;

  it("are every postgresql.cnpg.io kind of the pinned release, at v1", () => {
    assert.equal(g.index.version, pin.version);
    assert.deepEqual(g.index.crds.map((c) => c.kind).sort(), [
      "Backup", "Cluster", "ClusterImageCatalog", "Database", "DatabaseRole", "FailoverQuorum", "ImageCatalog", "Pooler", "Publication", "ScheduledBackup", "Subscription",
    ]);
    for (const c of g.index.crds) {
      assert.equal(c.group, "postgresql.cnpg.io");
      assert.deepEqual(servedVersions(g, c.kind), { served: ["v1"], storage: ["v1"] }, c.kind);
    }
  });

  it("describe Cluster with managed roles whose passwords come from Secrets, and postgresql parameters", () => {
    const cluster = g.crd("Cluster");
    const role = at(cluster, "v1", "spec.managed.roles[]");
    assert.ok(role.required?.includes("name"));
    at(cluster, "v1", "spec.managed.roles[].passwordSecret.name");
    at(cluster, "v1", "spec.managed.roles[].replication");
    at(cluster, "v1", "spec.postgresql.parameters");
    at(cluster, "v1", "spec.bootstrap.initdb.secret.name");
  });

  it("describe Publication with its cluster, database and target tables", () => {
    const pub = g.crd("Publication");
    assert.deepEqual([...(at(pub, "v1", "spec").required ?? [])].sort(), ["cluster", "dbname", "name", "target"]);
    at(pub, "v1", "spec.target.allTables");
    at(pub, "v1", "spec.target.objects[].table.name");
    at(pub, "v1", "spec.publicationReclaimPolicy");
  });

  it("equal the CRDs the module ships in config/crd/bases, to the last description", () => {
    assertMatchesModuleBases(g, pin.go, pin.version, false);
  });
});

describe("MongoDBCommunity CRD (controller-gen on github.com/mongodb/mongodb-kubernetes-operator)", () => {
  const g = generated("mongodb-kubernetes");
  const pin = pins.operators["mongodb-kubernetes"].crds;

  it("is the one mongodbcommunity.mongodb.com kind, at v1", () => {
    assert.deepEqual(g.index.crds.map((c) => `${c.group}/${c.kind}`), ["mongodbcommunity.mongodb.com/MongoDBCommunity"]);
    assert.deepEqual(servedVersions(g, "MongoDBCommunity"), { served: ["v1"], storage: ["v1"] });
  });

  it("describes a replica set with SCRAM users whose passwords come from Secrets", () => {
    const m = g.crd("MongoDBCommunity");
    assert.deepEqual(at(m, "v1", "spec.type").enum, ["ReplicaSet"]);
    assert.deepEqual([...(at(m, "v1", "spec").required ?? [])].sort(), ["security", "type", "users"]);
    assert.deepEqual([...(at(m, "v1", "spec.users[]").required ?? [])].sort(), ["name", "roles"]);
    assert.deepEqual(at(m, "v1", "spec.users[].passwordSecretRef").required, ["name"]);
    at(m, "v1", "spec.users[].scramCredentialsSecretName");
    at(m, "v1", "spec.users[].roles[].db");
    assert.ok(at(m, "v1", "spec.security.authentication.modes[]").enum?.includes("SCRAM"));
  });

  it("lacks exactly the two fields MCK 1.10.0 added, as k8s/operators.md states", () => {
    const m = g.crd("MongoDBCommunity");
    assert.ok(absent(m, "v1", "spec", "clusterDomain"));
    assert.ok(absent(m, "v1", "spec.users[]", "connectionStringSecretAnnotations"));
  });

  it("equals the CRD the module ships in config/crd/bases, descriptions aside", () => {
    assertMatchesModuleBases(g, pin.go, pin.version, true);
  });
});

describe("every generated CRD file", () => {
  for (const operator of ["strimzi", "cloudnative-pg", "mongodb-kubernetes"]) {
    it(`of ${operator} parses as a CustomResourceDefinition with a schema per version, as its index says`, () => {
      const g = generated(operator);
      const files = fs.readdirSync(g.dir).filter((f) => f.endsWith(".yaml")).sort();
      assert.deepEqual(g.index.crds.map((c) => c.file).sort(), files, "index.json lists every YAML file");
      const reindexed = buildIndex(
        { operator: g.index.operator, version: g.index.version, source: g.index.source, generator: g.index.generator },
        files.map((file) => ({ file, text: fs.readFileSync(path.join(g.dir, file), "utf8") })),
      );
      assert.deepEqual(reindexed, g.index);
    });
  }
});
