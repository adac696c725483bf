/**
 * Runs the pack's policies on a Pulumi program under mocks, the way the engine's analyzer would:
 * every registered resource with its inputs (secrets unwrapped, as @pulumi/policy hands them to a
 * policy), its URN (which carries the stack) and its effective `protect`.
 */
import { stackConfig } from "../stacks/stack-files";
import type { Policy, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import type { Resource } from "./shapes";

/** The marker Pulumi's RPC layer puts on a secret value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o[SECRET_SIG] !== undefined) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** Outputs a provider would compute that the program reads back (mocks echo inputs only). */
function computedOutputs(type: string): Record<string, unknown> {
  if (type === "mongodbatlas:index/advancedCluster:AdvancedCluster") return { connectionStrings: { standardSrv: "mongodb+srv://cluster0.example.mongodb.net" } };
  if (type.startsWith("pulumi-nodejs:dynamic/coexist:GeneratedSecret")) return { value: "generated-for-policy-tests" };
  // A locally built image's ID, as the Docker provider reports it (the worker containers run it by digest).
  if (type === "docker:index/image:Image") return { repoDigest: `sha256:${"0".repeat(64)}` };
  return {};
}

/**
 * Registers `program` under mocks as stack `stack` and returns its resources as the analyzer sees
 * them. The effective `protect` (own, else inherited from the parent, as the SDK resolves it) is
 * read through a stack transformation, which sees every resource's options. Mocks are global to
 * the process: run one program at a time.
 */
export async function resourcesOf(stack: string, program: () => unknown, config: Record<string, unknown> = {}, secretKeys: string[] = []): Promise<Resource[]> {
  const seen: Resource[] = [];
  const protect = new Map<string, boolean>();
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])), secretKeys);
  pulumi.runtime.setMocks({
    newResource(args) {
      seen.push({ type: args.type, name: args.name, urn: `urn:pulumi:${stack}::coexist::${args.type}::${args.name}`, props: unwrapSecrets(args.inputs) as Record<string, unknown>, opts: { protect: protect.get(`${args.type}::${args.name}`) ?? false } });
      return { id: `${args.name}-id`, state: { ...args.inputs, ...computedOutputs(args.type) } };
    },
    call(args) {
      throw new Error(`unexpected provider call ${args.token} in a policy test; mock it explicitly`);
    },
  }, "coexist", stack, false);
  let failure: unknown;
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      const parent = args.opts.parent as (pulumi.Resource & { __protect?: boolean }) | undefined;
      protect.set(`${args.type}::${args.name}`, (args.opts as pulumi.CustomResourceOptions).protect ?? parent?.__protect ?? false);
      return undefined;
    });
    try {
      await program();
    } catch (e) {
      failure = e;
    }
    return {};
  });
  if (failure !== undefined) throw failure;
  // Registrations started inside applies finish a few turns later.
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 50));
  return seen;
}

export interface Violation {
  readonly policy: string;
  readonly message: string;
  readonly urn?: string;
}

/** Runs one policy (resource or stack) over a program's resources, as the analyzer would. */
export async function check(policy: Policy, resources: readonly Resource[], config: Record<string, unknown> = {}): Promise<Violation[]> {
  const found: Violation[] = [];
  const common = {
    getConfig: <T extends object>() => config as T,
    stackTags: new Map<string, string>(),
    notApplicable: (reason?: string): never => {
      throw new Error(`notApplicable: ${reason}`);
    },
  };
  const resourcePolicy = policy as ResourceValidationPolicy;
  if (resourcePolicy.validateResource) {
    const validators = Array.isArray(resourcePolicy.validateResource) ? resourcePolicy.validateResource : [resourcePolicy.validateResource];
    for (const r of resources) {
      for (const validate of validators) {
        const args = { ...r, opts: { protect: r.opts?.protect ?? false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] }, ...common, isType: () => false, asType: () => undefined };
        await validate(args as never, (message, urn) => found.push({ policy: policy.name, message, urn: urn ?? r.urn }));
      }
    }
  }
  const stackPolicy = policy as StackValidationPolicy;
  if (stackPolicy.validateStack) {
    await stackPolicy.validateStack({ resources: resources as unknown as PolicyResource[], ...common }, (message, urn) => found.push({ policy: policy.name, message, urn }));
  }
  return found;
}

/** A committed stack file's `config:` (staging, prod, dev), as Pulumi would pass it. */
export function stackFileConfig(stack: string): Record<string, unknown> {
  return stackConfig(stack);
}

import { FAKE_DATAPLANE } from "../stacks/local-stack";
export { FAKE_DATAPLANE };

/**
 * The repository's real program for a committed stack (dev, staging, prod) or for `local` (config
 * rendered from a data plane's env, as scripts/stack does), under mocks, with throwaway secrets;
 * operators and CRDs left to the cluster (the engine tests apply CRDs for real).
 */
export async function realProgram(stack: "dev" | "staging" | "prod" | "local"): Promise<Resource[]> {
  const { renderKongConfig } = await import("../components/kong/render");
  const { generateKongCredentials } = await import("../stacks/kong-credentials");
  let config: Record<string, unknown>;
  if (stack === "local") {
    const { localStackConfig } = await import("../stacks/local-stack");
    config = localStackConfig(FAKE_DATAPLANE);
  } else {
    const file = stackFileConfig(stack);
    config = stack === "dev" ? file : { ...file, "coexist:kubernetes": { ...(file["coexist:kubernetes"] as object), crds: "skip", operators: "skip" } };
  }
  const secrets: Record<string, string> = {
    dev: { "coexist:postgresPassword": "pg-Test-s3cret", "coexist:debeziumPassword": "dbz-Test-s3cret", "coexist:mongodbPassword": "mongo-Test-s3cret" },
    staging: { "coexist:debeziumPassword": "dbz-Test-s3cret", "coexist:mongodbPassword": "mongo-Test-s3cret" },
    prod: { "coexist:debeziumPassword": "dbz-Test-s3cret", "coexist:mongodbPassword": "mongo-Test-s3cret" },
    local: { "coexist:debeziumPassword": "dbz-Test-s3cret", "coexist:reconcilerPassword": "rec-Test-s3cret", "coexist:mongodbUrl": "mongodb://sync:Test-s3cret@127.0.0.1:57017/", "coexist:connectPassword": "connect-Test-s3cret" },
  }[stack];
  const kong = JSON.stringify(generateKongCredentials(renderKongConfig(stack).secretVariables));
  const { main } = await import("../stacks/program");
  return resourcesOf(stack, () => main(), { ...config, ...secrets, "coexist:kongCredentials": kong }, [...Object.keys(secrets), "coexist:kongCredentials"]);
}
