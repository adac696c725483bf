/**
 * Where a stack's state and secrets live when the user has not chosen: the backend, the
 * passphrase, and the stack files (stacks/Pulumi.<stack>.yaml), rendered from templates for
 * pr-<n> and local stacks.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { DISPOSABLE_ENVIRONMENTS, Environment, environmentOf, PROTECTED_STACKS, stackNamesShown } from "../../components/environments";
export const ROOT = path.resolve(__dirname, "..", "..");

/** Stack names: the catalogue's (components/environments.ts). */
export const STACK_NAME = { test: (stack: string): boolean => environmentOf(stack) !== undefined };
/** Disposable stacks: secrets may be generated for them. */
export const EPHEMERAL = { test: (stack: string): boolean => DISPOSABLE_ENVIRONMENTS.includes(environmentOf(stack) as Environment) };
export const PROTECTED = PROTECTED_STACKS;

export class UsageError extends Error {}

export function checkStackName(stack: string | undefined): string {
  if (!stack) throw new UsageError(`a stack name is needed: ${stackNamesShown()}`);
  if (!STACK_NAME.test(stack)) throw new UsageError(`unknown stack "${stack}": use ${stackNamesShown()}`);
  return stack;
}

/**
 * The backend env for the CLI: the user's own (PULUMI_BACKEND_URL or a login) when set; else a
 * local file backend in .pulumi-state/. Each stack's passphrase or KMS key: stackSecrets in secrets.ts.
 */
export function backendEnv(cli: { binDir: string }, log: (l: string) => void, stateDir = path.join(ROOT, ".pulumi-state")): Record<string, string> {
  const env: Record<string, string> = {};
  if (!process.env.PULUMI_BACKEND_URL && !loggedIn(cli)) {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    env.PULUMI_BACKEND_URL = `file://${stateDir}`;
    log(`using the local file backend in ${path.relative(ROOT, stateDir) || stateDir}/`);
  }
  return env;
}

function loggedIn(cli: { binDir: string }): boolean {
  try {
    execFileSync(path.join(cli.binDir, "pulumi"), ["whoami", "--non-interactive"], { stdio: "ignore", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
    return true;
  } catch {
    return false;
  }
}

/** Whether a Docker engine answers (dev and pr-<n> run on it). */
export function dockerAnswers(): boolean {
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}
