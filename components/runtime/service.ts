import * as pulumi from "@pulumi/pulumi";

/**
 * A target-neutral description of one service or one-shot job. Components build it with
 * pure functions (tested without mocks); a target realises it (a container on Docker, a workload
 * on Kubernetes), so the two targets differ only where the platforms do.
 */
export interface ServiceSpec {
  /** Host name on the stack's private network, and the Kubernetes workload and Service name. */
  readonly host: string;
  /** What the service is in the stack (app.kubernetes.io/component), e.g. "gateway", "sync". @default host */
  readonly role?: string;
  readonly image: pulumi.Input<string>;
  readonly command?: pulumi.Input<string>[];
  readonly entrypoint?: string[];
  /** Plain settings. Secrets never go here: use `secretEnv` or `files` with `secret: true`. */
  readonly env?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Values that are Pulumi secrets end to end (masked in previews, encrypted in state). */
  readonly secretEnv?: Readonly<Record<string, pulumi.Output<string>>>;
  /**
   * Env read from an existing secret the platform created (e.g. the connection string an
   * operator writes into a Kubernetes Secret). Kubernetes only; the Docker target refuses it.
   */
  readonly secretRefEnv?: Readonly<Record<string, { readonly secret: pulumi.Input<string>; readonly key: string }>>;
  readonly ports?: readonly PortSpec[];
  /** Persistent named volumes. */
  readonly volumes?: readonly { readonly name: string; readonly path: string; /** @default "1Gi" */ readonly size?: string }[];
  /** Writable scratch directories; the rest of the root filesystem is read-only on Kubernetes. */
  readonly scratch?: readonly string[];
  /** Files written into the service before it starts (config, secrets). */
  readonly files?: readonly FileSpec[];
  readonly healthcheck?: HealthcheckSpec;
  /** HTTP probes on Kubernetes (liveness and readiness); without them the healthcheck command is used. */
  readonly probes?: { readonly liveness?: HttpProbe; readonly readiness?: HttpProbe };
  /** Numeric user (and group) the process runs as; images that drop privileges themselves leave it unset. */
  readonly user?: string;
  /** Instances. Docker runs one container per service. @default 1 */
  readonly replicas?: number;
  /** CPU and memory on Kubernetes. @default requests 50m/64Mi, limits 1 CPU/512Mi */
  readonly resources?: ResourceSpec;
  /** A one-shot job that runs to completion instead of a long-running service. */
  readonly job?: boolean;
}

export interface PortSpec {
  readonly name: string;
  /** Port inside the service. */
  readonly container: number;
  /**
   * Host port to publish on the Docker target. Always bound to 127.0.0.1: nothing a stack runs
   * is reachable from another machine. Unset: reachable only on the private network.
   */
  readonly host?: number;
  /**
   * How the port is reached on Kubernetes: "cluster", through a ClusterIP Service; "public",
   * through the Service type the stack chooses for public traffic (coexist:kubernetes.publicServiceType);
   * "none", no Service at all (probes, or a port only the pod itself uses). @default "cluster"
   */
  readonly exposure?: "cluster" | "public" | "none";
}

export interface FileSpec {
  readonly path: string;
  readonly content: pulumi.Input<string>;
  /** Marks the content as a Pulumi secret (masked in previews, encrypted in state). */
  readonly secret?: boolean;
  /** Octal mode, e.g. "0400". @default "0644", or "0400" when secret */
  readonly mode?: string;
}

export interface HealthcheckSpec {
  readonly command: string[];
  /** @default 5 */
  readonly intervalSeconds?: number;
  /** @default 30 */
  readonly retries?: number;
  /** @default 10 */
  readonly startPeriodSeconds?: number;
}

export interface HttpProbe {
  readonly path: string;
  /** A port name from `ports`. */
  readonly port: string;
  /** @default 10 */
  readonly periodSeconds?: number;
  /** @default 3 */
  readonly failureThreshold?: number;
}

export interface ResourceSpec {
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

/** The only address a Docker-target port is ever published on. */
export const LOOPBACK = "127.0.0.1";
