/**
 * The environment catalogue: for each environment, where it runs, whether it is disposable, which
 * Kong overlay it loads, and the rules the CLI and the workflows enforce before a preview, deploy or
 * destroy. Pure data and functions, no Pulumi import: stacks/, scripts/, policy/, the workflows'
 * checks and the tests all read it, so the stack-name → environment mapping lives here only.
 *
 * Adding an environment: one entry here plus its stack file (stacks/Pulumi.<stack>.yaml) and, when
 * it has its own gateway, its overlay (kong/overlays/<name>.yaml).
 */

export type TargetName = "docker" | "kubernetes";

export interface EnvironmentSpec {
  /** Where its resources run. */
  readonly target: TargetName;
  /** Disposable: created and destroyed freely (stateful resources unprotected by default). */
  readonly disposable: boolean;
  /** Its gateway overlay, `kong/overlays/<overlay>.yaml`. */
  readonly overlay: string;
  /** Stack names that belong to it: an exact name, or a pattern for numbered stacks. */
  readonly stacks: string | RegExp;
  /** How a stack name is shown in usage and error messages. */
  readonly shown: string;
  /** Stateful resources must be protected (`coexist:protect` may not be false). */
  readonly mustProtect: boolean;
  /** Who may run `destroy`: anyone, or only the deploy workflow (never a person's CLI). */
  readonly destroy: "anyone" | "workflow-only";
  /** Deployed by the deploy workflow behind a GitHub environment of this name (reviewers gate it). */
  readonly deployedBy: "developer" | "ephemeral-workflow" | "deploy-workflow";
  /** Its stack file is committed (stacks/Pulumi.<stack>.yaml); otherwise rendered from a template. */
  readonly stackFile: "committed" | "template";
  /** A number of resources the ephemeral commands can own and expire (pr-<n>, local). */
  readonly ephemeral: boolean;
}

export const ENVIRONMENTS = {
  dev: { target: "docker", disposable: true, overlay: "dev", stacks: "dev", shown: "dev", mustProtect: false, destroy: "anyone", deployedBy: "developer", stackFile: "committed", ephemeral: false },
  pr: { target: "docker", disposable: true, overlay: "pr", stacks: /^pr-[1-9][0-9]*$/, shown: "pr-<n>", mustProtect: false, destroy: "anyone", deployedBy: "ephemeral-workflow", stackFile: "template", ephemeral: true },
  local: { target: "kubernetes", disposable: true, overlay: "local", stacks: "local", shown: "local", mustProtect: false, destroy: "anyone", deployedBy: "developer", stackFile: "template", ephemeral: true },
  staging: { target: "kubernetes", disposable: false, overlay: "staging", stacks: "staging", shown: "staging", mustProtect: false, destroy: "workflow-only", deployedBy: "deploy-workflow", stackFile: "committed", ephemeral: false },
  prod: { target: "kubernetes", disposable: false, overlay: "prod", stacks: "prod", shown: "prod", mustProtect: true, destroy: "workflow-only", deployedBy: "deploy-workflow", stackFile: "committed", ephemeral: false },
} as const satisfies Record<string, EnvironmentSpec>;

export type Environment = keyof typeof ENVIRONMENTS;
export const ENVIRONMENT_NAMES = Object.keys(ENVIRONMENTS) as Environment[];

export function spec(env: Environment): EnvironmentSpec {
  return ENVIRONMENTS[env];
}

/** The environment a stack name belongs to; undefined for a name no environment claims. */
export function environmentOf(stack: string): Environment | undefined {
  for (const env of ENVIRONMENT_NAMES) {
    const s: EnvironmentSpec = ENVIRONMENTS[env];
    if (typeof s.stacks === "string" ? s.stacks === stack : s.stacks.test(stack)) return env;
  }
  return undefined;
}

/** "dev, pr-<n>, local, staging or prod", for usage and error messages. */
export function stackNamesShown(): string {
  const shown = ENVIRONMENT_NAMES.map((e) => ENVIRONMENTS[e].shown);
  return `${shown.slice(0, -1).join(", ")} or ${shown[shown.length - 1]}`;
}

/** The environments whose stacks are disposable (dev, pr, local). */
export const DISPOSABLE_ENVIRONMENTS: readonly Environment[] = ENVIRONMENT_NAMES.filter((e) => ENVIRONMENTS[e].disposable);

/** Stack names whose stateful resources a person's CLI must never destroy. */
export const PROTECTED_STACKS: ReadonlySet<string> = new Set(
  ENVIRONMENT_NAMES.filter((e) => ENVIRONMENTS[e].destroy === "workflow-only").map((e) => String(ENVIRONMENTS[e].stacks)),
);

/** The environments the deploy workflow deploys, in order (each needs the previous). */
export const DEPLOYED_ENVIRONMENTS: readonly Environment[] = ENVIRONMENT_NAMES.filter((e) => ENVIRONMENTS[e].deployedBy === "deploy-workflow");

/** One example stack name per environment (pr → pr-1), for tests and `--all` commands. */
export function exampleStack(env: Environment): string {
  const s: EnvironmentSpec = ENVIRONMENTS[env];
  return typeof s.stacks === "string" ? s.stacks : `${env}-1`;
}

/** The Kong overlay of a stack; throws naming the stack and the fix when no environment claims it. */
export function overlayOf(stack: string): string {
  const env = environmentOf(stack);
  if (env === undefined) {
    throw new Error(
      `kongOverlayFor: no Kong overlay for stack "${stack}"; expected ${stackNamesShown()} (pr-<number>, e.g. pr-123). ` +
        `Fix: use one of those stack names, or add the environment to components/environments.ts with its kong/overlays/<name>.yaml.`,
    );
  }
  return ENVIRONMENTS[env].overlay;
}

/** Why a stack cannot be managed by the ephemeral commands; undefined when it can. */
export function ephemeralRefusal(stack: string): string | undefined {
  const env = environmentOf(stack);
  const ok = ENVIRONMENT_NAMES.filter((e) => ENVIRONMENTS[e].ephemeral).map((e) => ENVIRONMENTS[e].shown).join(" or ");
  if (env === undefined) return `"${stack}" is not an ephemeral stack name; use ${ok}`;
  const s: EnvironmentSpec = ENVIRONMENTS[env];
  if (s.ephemeral) return undefined;
  if (!s.disposable) return `${stack} is never ephemeral: its stateful resources are protected and ephemeral commands would destroy it; refused`;
  return `${stack} is a developer's own stack, not an ephemeral one; use ${ok}`;
}
