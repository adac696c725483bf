import * as pulumi from "@pulumi/pulumi";

/**
 * A target-neutral description of one long-running service. Components build it with pure
 * functions (tested without mocks); a target realises it (a container on Docker, a workload on
 * Kubernetes), so the two targets differ only where the platforms do.
 */
export interface ServiceSpec {
  /** Host name on the stack's private network, and the Kubernetes Service name. */
  readonly host: string;
  readonly image: pulumi.Input<string>;
  readonly command?: pulumi.Input<string>[];
  readonly entrypoint?: string[];
  /** Plain settings. Secrets never go here: use `secretEnv` or `files` with `secret: true`. */
  readonly env?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Values that are Pulumi secrets end to end (masked in previews, encrypted in state). */
  readonly secretEnv?: Readonly<Record<string, pulumi.Output<string>>>;
  readonly ports?: readonly PortSpec[];
  /** Persistent named volumes. */
  readonly volumes?: readonly { readonly name: string; readonly path: string }[];
  /** Files written into the service before it starts (config, secrets). */
  readonly files?: readonly FileSpec[];
  readonly healthcheck?: HealthcheckSpec;
  /** Run as this user; images that drop privileges themselves leave it unset. */
  readonly user?: string;
  /** A one-shot job that runs to completion instead of a long-running service. */
  readonly job?: boolean;
}

export interface PortSpec {
  readonly name: string;
  /** Port inside the service. */
  readonly container: number;
  /**
   * Host port to publish on the Docker target. Always bound to 127.0.0.1: nothing a stack runs
   * is reachable from another machine. Unset: reachable only on the private network / ClusterIP.
   */
  readonly host?: number;
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

/** The only address a Docker-target port is ever published on. */
export const LOOPBACK = "127.0.0.1";
