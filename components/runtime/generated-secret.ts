import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/**
 * A random secret generated once and kept in the stack's state (encrypted): stable across
 * updates, new only when replaced. For credentials no human needs to know, such as a MongoDB
 * replica-set key file or an internal user's password, so they are never derived from another
 * secret. A dynamic resource, so it needs no provider plugin.
 */

interface GeneratedSecretInputs {
  /** Random bytes before encoding. */
  readonly bytes: number;
  readonly encoding: "base64" | "hex" | "base64url";
}

export const generatedSecretProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: GeneratedSecretInputs): Promise<pulumi.dynamic.CreateResult> {
    // Required here: the provider is serialised and runs in the dynamic-provider host.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("node:crypto") as typeof import("node:crypto");
    const value = crypto.randomBytes(inputs.bytes).toString(inputs.encoding);
    return { id: crypto.randomBytes(8).toString("hex"), outs: { ...inputs, value } };
  },
  async diff(_id: string, olds: GeneratedSecretInputs, news: GeneratedSecretInputs): Promise<pulumi.dynamic.DiffResult> {
    const changed = olds.bytes !== news.bytes || olds.encoding !== news.encoding;
    return { changes: changed, replaces: changed ? ["bytes"] : [], deleteBeforeReplace: false };
  },
};

export interface GeneratedSecretArgs {
  /** @default 32 */
  readonly bytes?: number;
  /** @default "base64url" (safe in URLs and files alike) */
  readonly encoding?: GeneratedSecretInputs["encoding"];
}

/** The dynamic resource: type `pulumi-nodejs:dynamic/coexist:GeneratedSecret`. */
export class GeneratedSecret extends pulumi.dynamic.Resource {
  declare readonly value: pulumi.Output<string>;

  constructor(name: string, args: GeneratedSecretArgs = {}, opts: pulumi.CustomResourceOptions = {}) {
    const bytes = args.bytes ?? 32;
    if (!Number.isInteger(bytes) || bytes < 16 || bytes > 1024) throw new Error(`GeneratedSecret ${name}: bytes must be 16..1024, got ${bytes}`);
    super(generatedSecretProvider, name, { bytes, encoding: args.encoding ?? "base64url", value: undefined }, { ...opts, additionalSecretOutputs: ["value"] }, "coexist", "GeneratedSecret");
  }
}

/** For tests: the same generator, outside the engine. */
export function generateSecretValue(bytes = 32, encoding: GeneratedSecretInputs["encoding"] = "base64url"): string {
  return randomBytes(bytes).toString(encoding);
}
