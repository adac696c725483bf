import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { checkWorkflow, expandMatrix, secretsReferenced, Violation } from "./privilege";

/**
 * Branch code never holds staging's or prod's credentials without a maintainer's approval, and no
 * job asks for an organization-wide Pulumi token: the repository's workflows pass the rules in
 * privilege.ts, and a workflow doing each forbidden thing is caught.
 */
const WORKFLOWS = path.join(__dirname, "workflows");
type Obj = Record<string, unknown>;
const rules = (v: Violation[]) => [...new Set(v.map((x) => x.rule))].sort();
const wf = (yaml: string) => checkWorkflow(parse(yaml) as Obj);

const PR_JOB = (body: string, on = "pull_request") => `
on: ${on}
jobs:
  preview:
    runs-on: ubuntu-latest
${body}`;

describe("CI credentials", () => {
  it("the repository's workflows give branch code no staging or prod credential outside a protected environment, and ask for no organization token", () => {
    for (const file of fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"))) {
      const v = checkWorkflow(parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Obj);
      assert.deepEqual(v, [], `${file}: ${JSON.stringify(v, null, 2)}`);
    }
  });

  it("catches today's preview job: the repository's prod kubeconfig, the shared passphrase and an organization token, all without approval", () => {
    const v = wf(PR_JOB(`    permissions:
      id-token: write
    strategy:
      matrix:
        include:
          - stack: staging
            kubeconfig: KUBECONFIG_STAGING
          - stack: prod
            kubeconfig: KUBECONFIG_PROD
    env:
      PULUMI_ACCESS_TOKEN: \${{ secrets.PULUMI_ACCESS_TOKEN }}
      PULUMI_CONFIG_PASSPHRASE: \${{ secrets.PULUMI_CONFIG_PASSPHRASE }}
    steps:
      - uses: actions/checkout@v4
      - uses: pulumi/auth-actions@v1
        with:
          requested-token-type: urn:pulumi:token-type:access_token:organization
      - env:
          KUBECONFIG_DATA: \${{ secrets[matrix.kubeconfig] }}
        run: scripts/stack preview \${{ matrix.stack }}`));
    assert.deepEqual(rules(v), ["oidc-outside-environment", "organization-token", "prod-or-staging-secret", "shared-passphrase", "unscoped-secret"]);
    assert.ok(v.some((x) => x.job === "preview (prod, KUBECONFIG_PROD)" && /secrets\.KUBECONFIG_PROD/.test(x.detail)), JSON.stringify(v));
    assert.ok(v.some((x) => x.job === "preview (staging, KUBECONFIG_STAGING)" && /secrets\.KUBECONFIG_STAGING/.test(x.detail)));
  });

  it("catches each forbidden thing on its own", () => {
    const checkout = "      - uses: actions/checkout@v4\n";
    const cases: [string, string, Violation["rule"]][] = [
      ["a prod secret without an environment", PR_JOB(`    env:\n      K: \${{ secrets.KUBECONFIG_PROD }}\n    steps:\n${checkout}`), "prod-or-staging-secret"],
      ["a staging secret in an environment that is not protected", PR_JOB(`    environment: review\n    env:\n      K: \${{ secrets.KUBECONFIG_STAGING }}\n    steps:\n${checkout}`), "prod-or-staging-secret"],
      ["a repository-wide token", PR_JOB(`    steps:\n${checkout}      - env:\n          T: \${{ secrets.PULUMI_ACCESS_TOKEN }}\n        run: "true"`), "unscoped-secret"],
      ["the shared passphrase, even for ephemeral stacks", PR_JOB(`    env:\n      PULUMI_CONFIG_PASSPHRASE: \${{ secrets.PULUMI_CONFIG_PASSPHRASE }}\n    steps:\n${checkout}`), "shared-passphrase"],
      ["prod's secret in staging's preview environment", PR_JOB(`    environment: preview-staging\n    env:\n      K: \${{ secrets.KUBECONFIG_PROD }}\n    steps:\n${checkout}`), "other-stack-secret"],
      ["an environment named by matrix, prod's secret in staging's", PR_JOB(`    strategy:\n      matrix:\n        stack: [staging]\n    environment: preview-\${{ matrix.stack }}\n    env:\n      K: \${{ secrets.KUBECONFIG_PROD }}\n    steps:\n${checkout}`), "other-stack-secret"],
      ["OIDC for branch code without approval", PR_JOB(`    permissions:\n      id-token: write\n    steps:\n${checkout}`), "oidc-outside-environment"],
      ["OIDC granted at the workflow's top", `on: pull_request\npermissions:\n  id-token: write\njobs:\n  j:\n    runs-on: x\n    steps:\n${checkout}`, "oidc-outside-environment"],
      ["a secret chosen by an expression the checker cannot resolve", PR_JOB(`    env:\n      K: \${{ secrets[format('KUBE_{0}', github.head_ref)] }}\n    steps:\n${checkout}`), "dynamic-secret"],
      ["pull_request_target checking out the head", PR_JOB(`    env:\n      K: \${{ secrets.KUBECONFIG_PROD }}\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: \${{ github.event.pull_request.head.sha }}`, "pull_request_target"), "prod-or-staging-secret"],
      ["workflow_run checking out the run's head", PR_JOB(`    env:\n      K: \${{ secrets.KUBECONFIG_STAGING }}\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: \${{ github.event.workflow_run.head_sha }}`, "workflow_run"), "prod-or-staging-secret"],
      ["a workflow-level env secret", `on: [pull_request]\nenv:\n  K: \${{ secrets.KUBECONFIG_PROD }}\njobs:\n  j:\n    runs-on: x\n    steps:\n${checkout}`, "prod-or-staging-secret"],
      ["an organization token on main (deploys too)", `on:\n  push:\n    branches: [main]\njobs:\n  up:\n    environment: prod\n    runs-on: x\n    steps:\n      - uses: pulumi/auth-actions@v1\n        with:\n          requested-token-type: urn:pulumi:token-type:access_token:organization`, "organization-token"],
      ["a team token with no scope", `on: push\njobs:\n  up:\n    runs-on: x\n    steps:\n      - uses: pulumi/auth-actions@v1\n        with:\n          requested-token-type: urn:pulumi:token-type:access_token:team`, "organization-token"],
    ];
    for (const [what, yaml, rule] of cases) assert.deepEqual(rules(wf(yaml)), [rule], what);
  });

  it("lets alone what is safe: the base branch under pull_request_target, *_PR secrets, a stack's own secret in its protected environment", () => {
    assert.deepEqual(wf(PR_JOB(`    env:\n      K: \${{ secrets.KUBECONFIG_PROD }}\n    steps:\n      - uses: actions/checkout@v4`, "pull_request_target")), []);
    assert.deepEqual(wf(PR_JOB(`    env:\n      T: \${{ secrets.PULUMI_ACCESS_TOKEN_PR }}\n      G: \${{ secrets.GITHUB_TOKEN }}\n    steps:\n      - uses: actions/checkout@v4`)), []);
    assert.deepEqual(wf(PR_JOB(`    environment: preview-prod\n    permissions:\n      id-token: write\n    env:\n      K: \${{ secrets.KUBECONFIG_PROD }}\n    steps:\n      - uses: actions/checkout@v4\n      - uses: pulumi/auth-actions@v1\n        with:\n          requested-token-type: urn:pulumi:token-type:access_token:team\n          scope: team:coexist-prod`)), []);
  });

  it("catches the repository's own preview job once its approval gate is removed", () => {
    const text = fs.readFileSync(path.join(WORKFLOWS, "pull-request.yml"), "utf8");
    assert.ok(text.includes("    environment: preview-prod\n"));
    const v = wf(text.replace("    environment: preview-prod\n", ""));
    assert.deepEqual(rules(v), ["oidc-outside-environment", "prod-or-staging-secret"]);
    assert.ok(v.every((x) => x.job === "preview-prod"));
  });

  it("expands matrices and reads every form of secret reference", () => {
    assert.deepEqual(expandMatrix("j", { strategy: { matrix: { a: [1, 2], include: [{ a: 3, b: "x" }] } }, x: "${{ matrix.a }}" }).map((r) => r.job.x), ["1", "2", "3"]);
    assert.deepEqual(secretsReferenced(`\${{ secrets.A }} \${{ secrets['B'] }} \${{ secrets["C"] }} \${{ secrets[x] }}`).sort(), ["A", "B", "C", "[dynamic]"]);
  });
});
