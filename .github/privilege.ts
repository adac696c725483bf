/**
 * Who may hold which credential in CI, checked from the workflow files. Branch code (a job that
 * checks out a pull request's code) runs whatever the branch says, so:
 *
 * - outside a protected environment (required reviewers, see README "Security"), it may reference
 *   only GITHUB_TOKEN and the ephemeral stacks' `*_PR` secrets, and may not mint OIDC tokens;
 * - inside one, only that environment's stack's secrets (no prod secret in preview-staging);
 * - never the shared PULUMI_CONFIG_PASSPHRASE (it opens every stack), and no job anywhere asks
 *   pulumi/auth-actions for an organization token.
 */
type Obj = Record<string, unknown>;

/** Environments with required reviewers (set in the repository's settings), and the stack each serves. */
export const PROTECTED_ENVIRONMENTS: Readonly<Record<string, "staging" | "prod">> = {
  staging: "staging",
  prod: "prod",
  "preview-staging": "staging",
  "preview-prod": "prod",
};

const PR_TRIGGERS = ["pull_request", "pull_request_target", "workflow_run"];
/** A checkout `ref:` that names the pull request's head (pull_request_target, workflow_run default to the base). */
const HEAD_REF = /github\.event\.pull_request\.head|github\.head_ref|refs\/pull\/|github\.event\.workflow_run\.head/;
const SHARED_PASSPHRASE = /^PULUMI_CONFIG_PASSPHRASE(_FILE)?$/;
const STACK_OF_SECRET = (name: string): "staging" | "prod" | undefined => (/PROD/i.test(name) ? "prod" : /STAGING/i.test(name) ? "staging" : undefined);

export interface Violation {
  readonly job: string;
  readonly rule: "prod-or-staging-secret" | "unscoped-secret" | "shared-passphrase" | "organization-token" | "oidc-outside-environment" | "other-stack-secret" | "dynamic-secret";
  readonly detail: string;
}

function triggers(on: unknown): string[] {
  if (typeof on === "string") return [on];
  if (Array.isArray(on)) return on.map(String);
  return on && typeof on === "object" ? Object.keys(on) : [];
}

/** A job per matrix `include` entry (or the cartesian product of its axes), `${{ matrix.x }}` and `matrix.x` replaced. */
export function expandMatrix(name: string, job: Obj): { name: string; job: Obj }[] {
  const matrix = (job.strategy as Obj | undefined)?.matrix as Obj | undefined;
  if (!matrix || typeof matrix !== "object") return [{ name, job }];
  let rows: Obj[] = [{}];
  for (const [axis, values] of Object.entries(matrix)) {
    if (axis === "include" || axis === "exclude" || !Array.isArray(values)) continue;
    rows = rows.flatMap((r) => values.map((v) => ({ ...r, [axis]: v })));
  }
  const include = Array.isArray(matrix.include) ? (matrix.include as Obj[]) : [];
  if (include.length > 0) rows = rows.length === 1 && Object.keys(rows[0]!).length === 0 ? include : [...rows, ...include];
  const text = JSON.stringify(job);
  return rows.map((row) => {
    const filled = text
      .replace(/\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}/g, (m, k: string) => (k in row ? String(row[k]) : m))
      .replace(/\bmatrix\.([A-Za-z0-9_-]+)/g, (m, k: string) => (k in row ? `'${String(row[k])}'` : m));
    return { name: `${name} (${Object.values(row).join(", ")})`, job: JSON.parse(filled) as Obj };
  });
}

/** Secret names a job references (`secrets.X`, `secrets['X']`); a `secrets[<expression>]` is returned as "[dynamic]". */
export function secretsReferenced(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/secrets\.([A-Za-z0-9_]+)/g)) out.add(m[1]!);
  for (const m of text.matchAll(/secrets\[([^\]]*)\]/g)) {
    const literal = /^\s*(['"])([A-Za-z0-9_]+)\1\s*$/.exec(m[1]!.replace(/\\"/g, '"'));
    out.add(literal ? literal[2]! : "[dynamic]");
  }
  return [...out];
}

function steps(job: Obj): Obj[] {
  return Array.isArray(job.steps) ? (job.steps as Obj[]) : [];
}

function checksOutPrCode(job: Obj, on: string[]): boolean {
  return steps(job).some((s) => {
    if (typeof s.uses !== "string" || !s.uses.startsWith("actions/checkout@")) return false;
    if (on.includes("pull_request")) return true; // its default ref is the pull request's merge commit
    return HEAD_REF.test(JSON.stringify((s.with as Obj | undefined)?.ref ?? ""));
  });
}

function environmentOf(job: Obj): string | undefined {
  const env = job.environment;
  if (typeof env === "string") return env;
  if (env && typeof env === "object" && typeof (env as Obj).name === "string") return (env as Obj).name as string;
  return undefined;
}

/** Everything one workflow does that the rules above forbid. */
export function checkWorkflow(workflow: Obj): Violation[] {
  const on = triggers(workflow.on);
  const runsPrCode = on.some((t) => PR_TRIGGERS.includes(t));
  const out: Violation[] = [];
  const workflowEnv = JSON.stringify(workflow.env ?? {});
  const idTokenAtTop = /"id-token":"write"/.test(JSON.stringify(workflow.permissions ?? {}));
  for (const [jobName, rawJob] of Object.entries((workflow.jobs ?? {}) as Record<string, Obj>)) {
    for (const { name, job } of expandMatrix(jobName, rawJob)) {
      const text = `${workflowEnv}${JSON.stringify(job)}`;
      const secrets = secretsReferenced(text);
      for (const s of steps(job)) {
        if (typeof s.uses === "string" && s.uses.startsWith("pulumi/auth-actions@")) {
          const type = String((s.with as Obj | undefined)?.["requested-token-type"] ?? "");
          if (!/:access_token:(team|personal)$/.test(type) || !(s.with as Obj)?.scope) {
            out.push({ job: name, rule: "organization-token", detail: `pulumi/auth-actions asks for "${type || "(no token type)"}"; ask for a team token (urn:pulumi:token-type:access_token:team, scope team:<the stack's team>)` });
          }
        }
      }
      for (const secret of secrets) {
        if (SHARED_PASSPHRASE.test(secret)) out.push({ job: name, rule: "shared-passphrase", detail: `secrets.${secret} opens every stack's secrets; use PULUMI_CONFIG_PASSPHRASE_<STACK>` });
      }
      if (!runsPrCode || !checksOutPrCode(job, on)) continue;
      const environment = environmentOf(job);
      const protectedFor = environment === undefined ? undefined : PROTECTED_ENVIRONMENTS[environment];
      for (const secret of secrets) {
        if (SHARED_PASSPHRASE.test(secret) || secret === "GITHUB_TOKEN") continue;
        if (secret === "[dynamic]") {
          out.push({ job: name, rule: "dynamic-secret", detail: "a secrets[<expression>] reference cannot be checked in a job that runs branch code" });
        } else if (!protectedFor) {
          const stack = STACK_OF_SECRET(secret);
          if (stack) out.push({ job: name, rule: "prod-or-staging-secret", detail: `secrets.${secret} (${stack}) in a job that runs branch code outside a protected environment` });
          else if (!secret.endsWith("_PR")) out.push({ job: name, rule: "unscoped-secret", detail: `secrets.${secret} may reach staging or prod; outside a protected environment branch code gets only *_PR secrets` });
        } else if (STACK_OF_SECRET(secret) !== protectedFor) {
          out.push({ job: name, rule: "other-stack-secret", detail: `secrets.${secret} in environment ${environment}, which serves ${protectedFor} only` });
        }
      }
      const idToken = idTokenAtTop || /"id-token":"write"/.test(JSON.stringify(job.permissions ?? {}));
      if (idToken && !protectedFor) out.push({ job: name, rule: "oidc-outside-environment", detail: "id-token: write lets branch code mint cloud and Pulumi tokens; only inside a protected environment" });
    }
  }
  return out;
}
