import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "../runtime/service";
import { images } from "../versions";
import { controlListenProblem } from "./listen";
import type { RenderedKong } from "./render";

export const KONG_HOST = "kong";
export const PROXY_PORT = 8000;
/** Kong's status API (`/status`, `/status/ready`, metrics): read-only, what the probes ask. */
export const STATUS_PORT = 8100;
/**
 * The official image's `kong` user. kong:3.9.1 is built FROM ubuntu:noble, whose image already
 * has `ubuntu` as uid/gid 1000; the package's postinstall then runs a plain `useradd kong`, which
 * takes 1001 (Kong/kong build/package/postinstall.sh, Kong/docker-kong ubuntu/Dockerfile).
 * Kong writes only below KONG_PREFIX in /tmp, so any non-root uid would run it; this one keeps the
 * image's own ownership of /usr/local/kong meaningful.
 */
export const KONG_USER = "1001:1001";
const DECLARATIVE_PATH = "/kong/declarative/kong.yaml";
/** The same file with credential references in place of values: what a preview shows a reviewer. */
const REVIEW_PATH = "/kong/declarative/kong.review.yaml";
/**
 * Kong's working directory (nginx.conf, pids, sockets, the DB-less LMDB). Not the image's
 * /usr/local/kong, which also holds Kong's own libraries and would be hidden by a scratch mount;
 * /tmp is writable on Docker for any uid and a scratch volume on Kubernetes.
 */
const PREFIX = "/tmp/kong";
/** nginx workers; Kong's default (`auto`) starts one per node CPU whatever the pod's limit. */
const WORKER_PROCESSES = 2;

/** Where Kong reads the value of one `{vault://env/...}` variable: a secret value, or a key of an existing Kubernetes Secret. */
export type VaultSource = pulumi.Output<string> | { readonly secret: pulumi.Input<string>; readonly key: string };

export interface KongServiceArgs {
  /** The stack's rendering with credential references kept (replicas, admin listen, Kong settings, the review file). */
  readonly rendered: RenderedKong;
  /** The file Kong loads, credentials substituted: a secret. */
  readonly declarativeConfig: pulumi.Input<string>;
  /** Docker: the proxy's port on 127.0.0.1. Unset: not published. */
  readonly proxyHostPort?: number;
  /** Values of `rendered.vaultVariables`, e.g. COEXIST_KONG_REDIS_PASSWORD. */
  readonly vaultEnv?: Readonly<Record<string, VaultSource>>;
}

/**
 * Kong in DB-less mode as a target-neutral service: the proxy is the only port any Service or
 * host publishes; the Admin API listens on the container's or pod's loopback only, so no other
 * workload can `POST /config` to it; Kong Manager is off; probes ask the read-only status API.
 */
export function kongService(args: KongServiceArgs): ServiceSpec {
  const { rendered } = args;
  const env: Record<string, string> = {
    // Config-derived settings first: none of them may override the listeners below.
    ...rendered.kongEnv,
    KONG_DATABASE: "off",
    KONG_DECLARATIVE_CONFIG: DECLARATIVE_PATH,
    KONG_PREFIX: PREFIX,
    KONG_PROXY_LISTEN: `0.0.0.0:${PROXY_PORT}`,
    KONG_ADMIN_LISTEN: rendered.adminListen,
    // Kong Manager's default is 0.0.0.0:8002; nothing here uses it.
    KONG_ADMIN_GUI_LISTEN: "off",
    KONG_STATUS_LISTEN: `0.0.0.0:${STATUS_PORT}`,
    KONG_NGINX_WORKER_PROCESSES: String(WORKER_PROCESSES),
    // Kong reports usage to Kong Inc. by default; a gateway in front of customer data does not call out.
    KONG_ANONYMOUS_REPORTS: "off",
    KONG_PROXY_ACCESS_LOG: "/dev/stdout",
    KONG_ADMIN_ACCESS_LOG: "/dev/stdout",
    KONG_PROXY_ERROR_LOG: "/dev/stderr",
    KONG_ADMIN_ERROR_LOG: "/dev/stderr",
  };
  for (const setting of ["KONG_ADMIN_LISTEN", "KONG_ADMIN_GUI_LISTEN"]) {
    const problem = controlListenProblem(setting, env[setting]);
    if (problem) throw new Error(`kongService (kong/overlays/${rendered.overlay}.yaml): ${problem}`);
  }
  const missing = rendered.vaultVariables.filter((v) => args.vaultEnv?.[v] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `kongService: kong/overlays/${rendered.overlay}.yaml references {vault://env/...} secrets Kong reads from its environment, ` +
        `and none is given for ${missing.join(", ")}; fix: pass them in vaultEnv (a secret value, or { secret, key } of an existing Kubernetes Secret)`,
    );
  }
  const vault = Object.entries(args.vaultEnv ?? {});
  const secretEnv = Object.fromEntries(vault.filter(([, v]) => pulumi.Output.isInstance(v))) as Record<string, pulumi.Output<string>>;
  const secretRefEnv = Object.fromEntries(vault.filter(([, v]) => !pulumi.Output.isInstance(v))) as Record<string, { secret: pulumi.Input<string>; key: string }>;
  return {
    host: KONG_HOST,
    role: "gateway",
    image: images.kong,
    env,
    ...(Object.keys(secretEnv).length > 0 ? { secretEnv } : {}),
    ...(Object.keys(secretRefEnv).length > 0 ? { secretRefEnv } : {}),
    replicas: rendered.replicas,
    user: KONG_USER,
    ports: [
      { name: "proxy", container: PROXY_PORT, host: args.proxyHostPort, exposure: "public" },
      { name: "status", container: STATUS_PORT, exposure: "none" },
      // Listed for the reader; on loopback it is reachable only from inside the pod or container.
      { name: "admin", container: rendered.admin.port, exposure: "none" },
    ],
    scratch: ["/tmp"],
    files: [
      // World-readable because a Docker upload cannot be owned by Kong's uid; on Kubernetes the
      // Secret volume is the pod's alone.
      { path: DECLARATIVE_PATH, content: args.declarativeConfig, secret: true, mode: "0444" },
      { path: REVIEW_PATH, content: rendered.reviewYaml, mode: "0444" },
    ],
    // Docker: `kong health` checks the nginx processes through the prefix; no Admin API needed.
    healthcheck: { command: ["kong", "health"] },
    probes: {
      // 200 once the declarative config is loaded into every worker.
      readiness: { path: "/status/ready", port: "status" },
      liveness: { path: "/status", port: "status" },
    },
    // Not measured here (no Kong image runs on this machine); two workers with the 64m cache dict.
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: String(WORKER_PROCESSES), memory: "1Gi" } },
  };
}
