import * as pulumi from "@pulumi/pulumi";
import { Capture } from "../capture";
import { deploy, Target } from "../runtime";
import { ReadModelEndpoint } from "./endpoint";
import { mongoInitJob } from "./mongodb";

export interface MongoExternalArgs {
  /** Where the schema Job runs: a container on Docker, a Job in the stack's namespace on Kubernetes. */
  readonly target: Target;
  readonly database: string;
  /** The capture list: one collection each, with the read-model indexes. */
  readonly captures: readonly Capture[];
  /** The connection string (coexist:mongodbUrl), as a user that may create collections and indexes in `database`; a secret. */
  readonly url: pulumi.Input<string>;
}

/**
 * An existing MongoDB the stack does not run. It still gets the read-model schema every other
 * realisation gets: the same idempotent mongosh script creates the collections and the
 * `coexist_synced_at` / `coexist_deleted` indexes (the reconciler's scans need them), run by the
 * same Job with the URL as a secret, replaced (so re-run) when the capture list changes.
 */
export class MongoExternal extends pulumi.ComponentResource {
  readonly endpoint: ReadModelEndpoint;

  constructor(name: string, args: MongoExternalArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:mongodb:MongoExternal", name, {}, opts);
    const access = { kind: "url" as const, url: pulumi.secret(pulumi.output(args.url)) };
    const init = deploy(`${name}-init`, mongoInitJob({ database: args.database, captures: args.captures, initiate: false, access }), args.target, { parent: this });
    this.endpoint = { access, database: args.database, ready: init.ready };
    this.registerOutputs({});
  }
}
