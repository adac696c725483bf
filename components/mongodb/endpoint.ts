import * as pulumi from "@pulumi/pulumi";
import type { MongoAccess } from "./access";

/**
 * What the read model's clients need, whichever realisation made it (container, Community, Atlas,
 * external): how workloads connect, and what to wait for, the read-model schema (collections and
 * indexes) included in every realisation. readModelFor (factory.ts) returns one.
 */
export interface ReadModelEndpoint {
  /** How the stack's workloads connect, as the application user. */
  readonly access: MongoAccess;
  readonly database: string;
  /** The store and its schema Job: the workers wait for both. */
  readonly ready: pulumi.Resource[];
  /** Docker: the root connection string on 127.0.0.1 for developers and tests; a secret. @default none */
  readonly hostUrl?: pulumi.Output<string>;
}

/**
 * The component type the provisioned realisations register as: part of the URN (a new one would
 * replace the replica set and its volumes), so container and Community keep the single MongoDb's token.
 */
export const MONGODB_TYPE = "coexist:mongodb:MongoDb";
