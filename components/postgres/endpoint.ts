import * as pulumi from "@pulumi/pulumi";
import type { KubernetesTarget } from "../runtime";

/** How the stack reaches the database to apply the source. */
export type CdcSourceVia =
  /** Through the postgresql provider from where Pulumi runs (Docker, or an external server). */
  | { readonly kind: "provider"; readonly host: pulumi.Input<string>; readonly port: pulumi.Input<number>; readonly adminUser: string; readonly adminPassword: pulumi.Input<string>; readonly sslmode: string; readonly debeziumPassword: pulumi.Input<string> }
  /** Inside a CloudNativePG cluster: the operator owns the role (declared on the Cluster) and the publication; a Job applies the rest. */
  | { readonly kind: "cnpg"; readonly target: KubernetesTarget; readonly cluster: string; readonly host: string; readonly ownerSecret: string; readonly roleSecret: string };

/**
 * What PostgreSQL's clients need, whichever realisation made it (container, CloudNativePG,
 * external): where the workloads reach the primary, how the stack applies the CDC source, and
 * where Pulumi itself reaches the server. postgresFor (factory.ts) returns one.
 */
export interface PostgresEndpoint {
  /**
   * Where the stack's workloads (Connect, the reconciler, the slot exporter) reach the primary.
   * Plain values, not outputs: they are part of the connector's config, which a preview shows and
   * diffs field by field (a change of host replaces the connector).
   */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** libpq sslmode of those connections. */
  readonly sslmode: string;
  /** How the stack applies the CDC source. @default none: a DBA created it (`postgres.cdcSource: existing`) */
  readonly cdc?: CdcSourceVia;
  /** Where Pulumi (not the workloads) reaches the server: loopback on Docker, an external host. @default none: inside a cluster */
  readonly probe?: { readonly host: pulumi.Input<string>; readonly port: pulumi.Input<number> };
  /** What the server's clients wait for. */
  readonly ready: pulumi.Resource[];
  /** Docker: the superuser's URL on loopback, for developers and tests; a secret. @default none */
  readonly hostUrl?: pulumi.Output<string>;
}

/**
 * The component type every provisioned realisation registers as: the token and the name are part
 * of the URN, and a new URN would replace the database, so the container and the CloudNativePG
 * realisations keep the token the single PostgresServer component had.
 */
export const POSTGRES_SERVER_TYPE = "coexist:postgres:PostgresServer";
