import { ENVIRONMENTS, environmentOf } from "../../components/environments";
/**
 * What makes a stack ephemeral, kept as Pulumi stack tags so it lives with the stack in its
 * backend (the file backend stores them beside the state, in <stack>.pulumi-tags; Pulumi Cloud as
 * stack tags): the pull request, who created it, when, and how long it may live. Pure functions.
 */

export const TAGS = {
  ephemeral: "coexist:ephemeral",
  pr: "coexist:pr",
  creator: "coexist:creator",
  createdAt: "coexist:created-at",
  ttl: "coexist:ttl",
} as const;

export interface EphemeralMeta {
  /** The pull request it was made for, if any. */
  readonly pr?: number;
  readonly creator: string;
  readonly createdAt: Date;
  /** How long it may live, in milliseconds. */
  readonly ttlMs: number;
}

/** The stacks ephemeral commands manage: pr-<n> (Docker) and local (Kubernetes on the local data plane). */
export type Flavour = "docker" | "kubernetes";

export const DEFAULT_TTL = "24h";
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "45s", "90m", "24h", "2d" → milliseconds; `what` names the option in errors. */
export function parseDuration(text: string, what: string): number {
  const m = /^([1-9][0-9]*)([smhd])$/.exec(text.trim());
  if (!m) throw new Error(`${what} "${text}" is not a duration; fix: a whole number and a unit, e.g. 90s, 90m, 24h or 2d`);
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}

/** A stack's time to live: a duration of at most 30 days. */
export function parseTtl(text: string): number {
  const ms = parseDuration(text, "TTL");
  if (ms > 30 * UNITS.d!) throw new Error(`TTL "${text}" is longer than 30 days; an ephemeral stack that lives that long is not ephemeral`);
  return ms;
}

export function formatTtl(ms: number): string {
  for (const [unit, size] of Object.entries(UNITS).reverse()) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.ceil(ms / 1000)}s`;
}

export function tagsOf(meta: EphemeralMeta): Record<string, string> {
  return {
    [TAGS.ephemeral]: "true",
    ...(meta.pr !== undefined ? { [TAGS.pr]: String(meta.pr) } : {}),
    [TAGS.creator]: meta.creator,
    [TAGS.createdAt]: meta.createdAt.toISOString(),
    [TAGS.ttl]: formatTtl(meta.ttlMs),
  };
}

/** The metadata in a stack's tags; undefined for a stack that is not ephemeral; an error for tags someone damaged. */
export function metaOf(stack: string, tags: Readonly<Record<string, string>>): EphemeralMeta | undefined {
  if (tags[TAGS.ephemeral] !== "true") return undefined;
  const created = new Date(tags[TAGS.createdAt] ?? "");
  if (Number.isNaN(created.getTime())) throw new Error(`stack ${stack}: tag ${TAGS.createdAt} is "${tags[TAGS.createdAt] ?? ""}", not a date; fix: pulumi stack tag set ${TAGS.createdAt} <ISO date> --stack ${stack}`);
  const pr = tags[TAGS.pr];
  return { pr: pr === undefined ? undefined : Number(pr), creator: tags[TAGS.creator] ?? "unknown", createdAt: created, ttlMs: parseTtl(tags[TAGS.ttl] ?? DEFAULT_TTL) };
}

export function expiresAt(meta: EphemeralMeta): Date {
  return new Date(meta.createdAt.getTime() + meta.ttlMs);
}

export function isExpired(meta: EphemeralMeta, now: Date): boolean {
  return expiresAt(meta).getTime() <= now.getTime();
}

/** Why a stack cannot be managed as ephemeral; undefined when it can. */
export { ephemeralRefusal } from "../../components/environments";

export function flavourOf(stack: string): Flavour {
  const env = environmentOf(stack);
  return env === undefined ? "docker" : ENVIRONMENTS[env].target;
}

/** Who is creating a stack: the CI actor, else the git author, else the OS user. */
export function defaultCreator(env: NodeJS.ProcessEnv, gitEmail: () => string | undefined, osUser: () => string): string {
  return env.GITHUB_ACTOR ?? gitEmail() ?? osUser();
}
