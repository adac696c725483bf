/**
 * Child process of engine-baseline.ts: runs a baseline commit's program (its own
 * stacks/program.ts `main`, its own @pulumi/pulumi, resolved from its tree) under the Automation
 * API against the test's backend. It imports nothing from the repository it lives in, so the
 * parent's SDK is never loaded here. Job in COEXIST_BASELINE_JOB; the engine's output goes to
 * stderr; the last stdout line is the summary as JSON.
 */
import { createRequire } from "node:module";
import * as path from "node:path";

interface Job {
  readonly tree: string;
  readonly stackName: string;
  readonly projectName: string;
  /** The CLI binary (<root>/bin/pulumi). */
  readonly pulumiCommand: string;
  readonly env: Record<string, string>;
  readonly op: "up";
}

async function run(): Promise<void> {
  const job = JSON.parse(process.env.COEXIST_BASELINE_JOB ?? "null") as Job | null;
  if (!job) throw new Error("COEXIST_BASELINE_JOB is not set");
  const req = createRequire(path.join(job.tree, "package.json"));
  const automation = req("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  const program = req(path.join(job.tree, "stacks", "program.ts")) as { main?: () => Record<string, unknown> };
  if (typeof program.main !== "function") throw new Error(`${job.tree}/stacks/program.ts exports no main()`);
  const main = program.main;
  // The dynamic-provider plugin ships in the SDK: the baseline's, first on PATH.
  const env: Record<string, string> = { ...job.env, PATH: [path.dirname(req.resolve("@pulumi/pulumi/package.json")), process.env.PATH ?? ""].join(path.delimiter) };
  const pulumiCommand = await automation.PulumiCommand.get({ root: path.dirname(path.dirname(job.pulumiCommand)), skipVersionCheck: true });
  const stack = await automation.LocalWorkspace.selectStack(
    { stackName: job.stackName, projectName: job.projectName, program: async () => main() },
    { workDir: job.tree, envVars: env, pulumiCommand, pulumiHome: env.PULUMI_HOME },
  );
  const up = await stack.up({ onOutput: (s) => process.stderr.write(s) });
  process.stdout.write(`\n${JSON.stringify({ result: up.summary.result, resourceChanges: up.summary.resourceChanges ?? {} })}\n`);
}

run().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`[engine-baseline-driver] ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
