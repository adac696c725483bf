import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { collectPreview } from "./markdown";
import { error, kongReview, pre, SECRET, stagingPreview, summary, urnOf } from "./markdown-fixtures";
import { GITHUB_COMMENT_LIMIT, previewMarker, renderPreviewMarkdown } from "./markdown-render";
import { diffValues, lineDiff, maskSecrets, parsePath, readable } from "./markdown-values";

const GOLDEN = path.join(__dirname, "testdata", "preview-staging.md");

describe("preview markdown", () => {
  it("keeps the shape of the golden comment (UPDATE_GOLDEN=1 rewrites it after a deliberate change)", () => {
    const text = renderPreviewMarkdown(collectPreview("staging", stagingPreview()));
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(GOLDEN, text);
    assert.equal(text, fs.readFileSync(GOLDEN, "utf8"));
  });

  it("opens with the hidden marker and the engine's counts, before anything else", () => {
    const text = renderPreviewMarkdown(collectPreview("staging", stagingPreview()));
    const lines = text.split("\n");
    assert.equal(lines[0], "<!-- coexist-preview:staging -->");
    assert.equal(previewMarker("pr-42"), "<!-- coexist-preview:pr-42 -->");
    const table = lines.findIndex((l) => l.startsWith("| create |"));
    assert.ok(table > 0 && table < 8, "the counts come first");
    assert.equal(lines[table + 2], "| 1 | 4 | 2 | 1 | 48 |");
    assert.ok(text.indexOf("[!CAUTION]") < text.indexOf("#### Debezium connector"), "stateful alerts before any detail");
  });

  it("flags stateful replacements and deletions loudly, with what is lost, why, and whether protection stops it", () => {
    const text = renderPreviewMarkdown(collectPreview("staging", stagingPreview()));
    assert.match(text, /> \*\*2 stateful resources would be replaced or deleted: what they hold is lost\.\*\*/);
    assert.match(text, /> - \*\*replace\*\* `KafkaTopic coexist\.dlq`: Kafka topic: its records; replaced because `spec\.topicName` changed\. \*\*Protected:\*\* the update stops here/);
    assert.match(text, /> - \*\*delete\*\* `PersistentVolumeClaim scratch`: persistent volume claim: the data on it\./);
    assert.doesNotMatch(text, /> - \*\*update\*\* `Cluster postgres`/, "an update in place is not a loss");
  });

  it("shows the connector's config diff with the replacing key marked and the secret reference readable", () => {
    const text = renderPreviewMarkdown(collectPreview("staging", stagingPreview()));
    assert.match(text, /\| <code>slot\.name<\/code> \| update \*\*\(replaces the connector\)\*\* \| <code>coexist<\/code> \| <code>coexist_v2<\/code> \|/);
    assert.match(text, /\| <code>table\.include\.list<\/code> \| update \| <code>public\.orders,public\.customers<\/code> \| <code>public\.orders,public\.customers,public\.products<\/code> \|/);
    assert.doesNotMatch(text, /database\.password<\/code> \| update/, "an unchanged reference is not a change");
  });

  it("shows the route diff and says loudly when a route loses jwt", () => {
    const text = renderPreviewMarkdown(collectPreview("staging", stagingPreview()));
    assert.match(text, /\| <code>analytics\/analytics<\/code> \| changed \| \*\*⚠️ no jwt and not tagged public: anyone can call it\*\*<br><code>plugins\.jwt: \{"claims_to_verify":\["exp"\],"maximum_expiration":900\} removed<\/code><br><code>plugins\.rate-limiting\.minute: 50 → 100<\/code> \|/);
    assert.match(text, /\| <code>orders\/orders-export<\/code> \| added \|/);
  });

  it("never shows a credential: engine secrets stay [secret], and plain-text ones are masked too", () => {
    const text = renderPreviewMarkdown(collectPreview("staging", stagingPreview()));
    assert.doesNotMatch(text, /left-in-by-mistake|changed-by-mistake/);
    assert.match(text, /\+ spec\.template\.spec\.containers\[0\]\.env\[1\]\.value: \[secret\] \(changed\)/);
    assert.match(text, /\+ stringData: \[secret\] \(changed\)/);
    const leaky = collectPreview("dev", [
      pre({ op: "create", type: "docker:index/container:Container", name: "c", new: { envs: ["POSTGRES_PASSWORD=hunter2", "MODE=dev"], command: ["x", "postgresql://app:hunter2@db:5432/app"] } }, "dev"),
      pre({ op: "create", type: "pulumi-nodejs:dynamic/coexist:Connector", name: "k", new: { name: "k", config: { "database.password": "hunter2", "sasl.jaas.config": SECRET } } }, "dev"),
    ]);
    const out = renderPreviewMarkdown(leaky);
    assert.doesNotMatch(out, /hunter2/);
    assert.match(out, /POSTGRES_PASSWORD=\[secret\]/);
    assert.match(out, /postgresql:\/\/app:\[secret\]@db:5432\/app/);
  });

  it("stays under the limit by leaving out details, never the summary, and says what it left out", () => {
    const big = "x".repeat(3_000);
    const events = [
      ...Array.from({ length: 200 }, (_, i) => pre({ op: "update", type: "kubernetes:core/v1:ConfigMap", name: `cm-${i}`, old: { data: { file: `${big}a` } }, new: { data: { file: `${big}b` } } })),
      pre({ op: "delete", type: "kubernetes:core/v1:PersistentVolumeClaim", name: "data", old: { metadata: { name: "data" } } }),
      summary({ update: 200, delete: 1, same: 3 }),
    ];
    const text = renderPreviewMarkdown(collectPreview("staging", events));
    assert.ok(text.length <= GITHUB_COMMENT_LIMIT, `${text.length} characters`);
    assert.match(text, /\| 0 \| 200 \| 0 \| 1 \| 3 \|/);
    assert.match(text, /> - \*\*delete\*\* `PersistentVolumeClaim data`/);
    assert.match(text, /> \[!NOTE\]\n> \d+ detail sections left out to stay under GitHub's 65,536-character limit; run `scripts\/stack preview staging --diff` for everything\./);
    const small = renderPreviewMarkdown(collectPreview("staging", events), { maxChars: 2_000 });
    assert.match(small, /\| 0 \| 200 \| 0 \| 1 \| 3 \|/, "the summary survives any limit");
    assert.ok(small.length <= 2_000, `${small.length}`);
  });

  it("says the preview failed when the engine says so, with its errors", () => {
    const r = collectPreview("prod", [error("kubernetes:apps/v1:Deployment resource 'sync': Deployment.apps \"sync\" is invalid: spec.replicas: Invalid value: -1", urnOf("kubernetes:apps/v1:Deployment", "sync", "prod")), error("preview failed"), summary({ same: 3 }, "failed")]);
    const text = renderPreviewMarkdown(r);
    assert.match(text, /\*\*The preview failed\*\*: see the errors below/);
    assert.match(text, /> - kubernetes:apps\/v1:Deployment resource 'sync': Deployment\.apps "sync" is invalid/);
    assert.doesNotMatch(text, /> - preview failed/);
  });

  it("reads no changes as no changes", () => {
    const text = renderPreviewMarkdown(collectPreview("prod", [summary({ same: 56 })]));
    assert.match(text, /^No changes\.$/m);
    assert.doesNotMatch(text, /####/);
  });
});

describe("preview values", () => {
  it("parses the engine's property paths, quoted keys included", () => {
    assert.deepEqual(parsePath('spec.config["slot.name"]'), ["spec", "config", "slot.name"]);
    assert.deepEqual(parsePath("spec.template.spec.containers[0].env[1].value"), ["spec", "template", "spec", "containers", 0, "env", 1, "value"]);
  });

  it("diffs inputs leaf by leaf, with lists of scalars compared whole", () => {
    assert.deepEqual(diffValues({ a: { b: 1, c: [1, 2] } }, { a: { b: 2, c: [2, 1] }, d: "x" }).map((f) => `${f.kind} ${f.path}`), ["update a.b", "update a.c", "add d"]);
    assert.deepEqual(diffValues({ config: { "slot.name": "a" } }, { config: { "slot.name": "b" } }).map((f) => f.path), ['config["slot.name"]']);
  });

  it("turns engine secrets and unknowns into placeholders", () => {
    assert.deepEqual(readable({ a: SECRET, b: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", __provider: "code" }), { a: "[secret]", b: "(known after apply)" });
  });

  it("masks plain-text credentials by key, env entry and URL, and leaves references alone", () => {
    assert.deepEqual(maskSecrets({ password: "p", passwordRef: "${file:/x:password}", env: [{ name: "API_TOKEN", value: "t" }, { name: "MODE", value: "m" }], url: "mongodb://u:p@h/", file: { POSTGRES_PASSWORD_FILE: "/run/x" } }),
      { password: "[secret]", passwordRef: "${file:/x:password}", env: [{ name: "API_TOKEN", value: "[secret]" }, { name: "MODE", value: "m" }], url: "mongodb://u:[secret]@h/", file: { POSTGRES_PASSWORD_FILE: "/run/x" } });
  });

  it("shows a changed multi-line file as its changed lines", () => {
    assert.deepEqual(lineDiff("a\nb\nc\nd\ne\nf", "a\nb\nc\nX\ne\nf", 1), ["  …", "  c", "- d", "+ X", "  e", "  …"]);
  });

  it("reads a gateway review file from the fixture as YAML the route diff understands", () => {
    assert.match(kongReview(""), /_format_version: "3\.0"/);
  });
});

describe("the CI review comment", () => {
  it("puts the checks first, then each preview and the gateway diffs, behind one marker, under the limit", async () => {
    const { combineReview, REVIEW_MARKER } = await import("./markdown-comment");
    const staging = renderPreviewMarkdown(collectPreview("staging", stagingPreview()), { maxChars: 28_000 });
    const text = combineReview({
      checks: [{ name: "typecheck", result: "success" }, { name: "tests", result: "failure" }],
      previews: [{ stack: "staging", markdown: staging }, { stack: "prod", missing: "no credentials for prod in this repository" }],
      kong: [{ stack: "staging", text: "updating plugin rate-limiting (route analytics)\n-  minute: 50\n+  minute: 100" }, { stack: "prod", text: "x".repeat(80_000) }],
      runUrl: "https://github.com/o/r/actions/runs/1",
    });
    assert.ok(text.startsWith(`${REVIEW_MARKER}\n## coexist review`));
    assert.match(text, /\| typecheck \| ✅ success \|\n\| tests \| ❌ failure \|/);
    assert.ok(text.indexOf("### Preview of `staging`") < text.indexOf("### Preview of `prod`"));
    assert.match(text, /_No preview: no credentials for prod in this repository\._/);
    assert.match(text, /\+  minute: 100/);
    assert.match(text, /Gateway config diff: <code>prod<\/code> \(cut to fit\)/);
    assert.ok(text.length <= GITHUB_COMMENT_LIMIT, `${text.length}`);
  });
});
