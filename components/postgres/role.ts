import * as pulumi from "@pulumi/pulumi";

/** A login role the server is created with (its password from Pulumi, a secret). */
export interface PostgresRole {
  readonly name: string;
  readonly password: pulumi.Input<string>;
  /** REPLICATION (never SUPERUSER). @default false */
  readonly replication?: boolean;
}
