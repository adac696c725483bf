import * as pulumi from "@pulumi/pulumi";
import { Capture } from "../capture";
import type { MongoConfig } from "../platform-config";
import { dockerTargetFor, GeneratedSecret, kubernetesTargetFor, Target } from "../runtime";
import { MongoAtlas } from "./atlas";
import { MongoCommunity } from "./community";
import { MongoContainer } from "./container";
import { ReadModelEndpoint } from "./endpoint";
import { MongoExternal } from "./external";

export interface ReadModelForArgs {
  readonly target: Target;
  readonly stack: string;
  readonly captures: readonly Capture[];
  /** The container's root password, or the application user's (Community, Atlas). @default none */
  readonly password?: pulumi.Input<string>;
  /** An external MongoDB's connection string (coexist:mongodbUrl). @default none */
  readonly url?: pulumi.Input<string>;
}

/**
 * The read model from its slice of config: the one place that chooses the realisation. Every
 * realisation creates the read-model schema (collections and indexes) before its endpoint is ready.
 * `prefix` is the platform's name: the realisation is `<prefix>-mongodb`, Atlas `<prefix>-atlas` (names
 * are part of the URNs, and these are the ones the stacks have). `opts.parent` is the platform: the
 * container's generated application password has always lived there.
 */
export function readModelFor(prefix: string, config: MongoConfig, args: ReadModelForArgs, opts: pulumi.ComponentResourceOptions): ReadModelEndpoint {
  const name = `${prefix}-mongodb`;
  const password = (): pulumi.Input<string> => {
    if (args.password === undefined) throw new Error(`${name}: the ${config.mode} read model needs coexist:mongodbPassword; fix: pulumi config set --secret coexist:mongodbPassword "$(openssl rand -base64 24)"`);
    return args.password;
  };
  const common = { database: config.database, captures: args.captures };
  switch (config.mode) {
    case "container": {
      // Checked before the generated password is registered: a bad config registers nothing.
      const target = dockerTargetFor(args.target, name);
      const rootPassword = password();
      const appPassword = new GeneratedSecret(`${name}-app-password`, {}, { parent: opts.parent }).value;
      return new MongoContainer(name, { ...common, target, rootPassword, appPassword, hostPort: config.port }, opts).endpoint;
    }
    case "community":
      return new MongoCommunity(name, { ...common, ...config, target: kubernetesTargetFor(args.target, name), appPassword: password() }, opts).endpoint;
    case "atlas":
      return new MongoAtlas(`${prefix}-atlas`, { ...common, ...config, clusterName: `coexist-${args.stack}`, appPassword: password(), target: args.target }, opts).endpoint;
    case "external": {
      if (args.url === undefined) throw new Error(`${name}: an external read model needs its URL; fix: pulumi config set --secret coexist:mongodbUrl 'mongodb://user:password@host:27017/?replicaSet=rs0'`);
      return new MongoExternal(name, { ...common, target: args.target, url: args.url }, opts).endpoint;
    }
  }
}
