import * as pulumi from "@pulumi/pulumi";

/** One resource the program registered, as the mock engine saw it. */
export interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly custom: boolean;
  readonly parentType?: string;
  readonly parentName?: string;
  /** Effective protect (its own option, else inherited from the parent, as the SDK does). */
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
  readonly deleteBeforeReplace?: boolean;
  readonly replaceOnChanges?: string[];
}

export interface MockRun {
  readonly resources: Recorded[];
  /** Runs a program inside a root stack, as the engine does, and returns what it returned. */
  runProgram<T>(program: () => T): Promise<T>;
  byType(type: string): Recorded[];
  one(type: string, nameIncludes?: string): Recorded;
}

/**
 * Installs Pulumi mocks for `stack` with the given raw config (values as Pulumi passes them:
 * strings, objects as JSON) and records every registered resource with its parent. `call` throws
 * unless a test mocks it. Call before importing anything that registers resources.
 */
export function installMocks(stack: string, config: Record<string, unknown>, secretKeys: string[] = []): MockRun {
  const resources: Recorded[] = [];
  const parents = new Map<string, { type?: string; name?: string; protect?: boolean; retainOnDelete?: boolean; deleteBeforeReplace?: boolean; replaceOnChanges?: string[] }>();
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    secretKeys,
  );
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const seen = parents.get(`${args.type}::${args.name}`);
        resources.push({
          type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? true,
          parentType: seen?.type, parentName: seen?.name, protect: seen?.protect, retainOnDelete: seen?.retainOnDelete,
          deleteBeforeReplace: seen?.deleteBeforeReplace, replaceOnChanges: seen?.replaceOnChanges,
        });
        // A generated secret's value is made by its provider at create time; give the mock one.
        let state = args.inputs.encoding !== undefined && args.inputs.bytes !== undefined ? { ...args.inputs, value: `generated-${args.name}` } : args.inputs;
        // Outputs a provider computes that the program reads.
        if (args.type === "docker:index/image:Image") {
          // The provider reports a locally built image's ID as its repoDigest (pulumi-docker#739): a
          // digest of what was built, here of the build inputs (the checkout's path left out, so
          // every clone gets the same digest), so a changed build changes it.
          const { createHash } = require("node:crypto") as typeof import("node:crypto");
          const root = require("node:path").resolve(__dirname, "..", "..") as string;
          const build = JSON.stringify(args.inputs.build ?? {}).split(root).join("<repo>");
          state = { ...state, repoDigest: `sha256:${createHash("sha256").update(build + (process.env.COEXIST_MOCK_IMAGE_SALT ?? "")).digest("hex")}` };
        }
        if (args.type === "mongodbatlas:index/advancedCluster:AdvancedCluster") {
          state = { ...state, connectionStrings: { standardSrv: `mongodb+srv://${String(args.inputs.name)}.abcde.mongodb.net` } };
        }
        return { id: `${args.name}-id`, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        throw new Error(`unexpected provider call ${args.token} in a test; mock it explicitly`);
      },
    },
    "coexist",
    stack,
    false,
  );
  return {
    resources,
    async runProgram<T>(program: () => T): Promise<T> {
      let result: T | undefined;
      let failure: unknown;
      // Inside a root stack, as `pulumi up` runs a program, so stack transformations apply: they
      // see every resource with its options, including its parent.
      await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((args) => {
          const parent = args.opts.parent as (pulumi.Resource & { __pulumiType?: string; __name?: string; __protect?: boolean }) | undefined;
          const o = args.opts as pulumi.CustomResourceOptions;
          parents.set(`${args.type}::${args.name}`, {
            type: parent ? parent.__pulumiType ?? "?" : undefined,
            name: parent ? parent.__name ?? "?" : undefined,
            protect: o.protect ?? parent?.__protect,
            retainOnDelete: o.retainOnDelete,
            deleteBeforeReplace: o.deleteBeforeReplace,
            replaceOnChanges: o.replaceOnChanges,
          });
          return undefined;
        });
        try {
          result = program();
        } catch (e) {
          failure = e;
        }
        return {};
      });
      if (failure !== undefined) throw failure;
      return result as T;
    },
    byType: (type) => resources.filter((r) => r.type === type),
    one(type, nameIncludes) {
      const found = resources.filter((r) => r.type === type && (nameIncludes === undefined || r.name.includes(nameIncludes)));
      if (found.length !== 1) throw new Error(`expected one ${type}${nameIncludes ? ` named *${nameIncludes}*` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
      return found[0];
    },
  };
}

/** Waits until the mock engine has seen every registration the program started. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 50));
}
