import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderKongConfig } from "../../components/kong/render";
import { adminAccessHint, deckBinary, kongAddr, log, probeGateway, ROOT, runDeck, UsageError, withTempFile } from "./common";

export interface DiffArgs {
  env: string;
  against?: string;
  ref?: string;
  kongAddr?: string;
  failOnDiff: boolean;
  skipConsumers: boolean;
}

/**
 * 0: no difference (or one without --fail-on-diff); 2: a difference with --fail-on-diff. Without
 * --against or --ref it compares with a running gateway through its Admin API, which answers on
 * loopback only (a `kubectl port-forward` to the pod); when none answers, with HEAD's rendering.
 */
export async function diff(args: DiffArgs): Promise<number> {
  const current = renderKongConfig(args.env, { lint: false });
  if (args.against) {
    const other = renderKongConfig(args.against, { lint: false });
    return textDiff(`${args.against} (kong/overlays/${other.overlay}.yaml)`, other.reviewYaml, `${args.env} (kong/overlays/${current.overlay}.yaml)`, current.reviewYaml, args.failOnDiff);
  }
  if (args.ref) return diffAgainstRef(args.env, args.ref, current.reviewYaml, args.failOnDiff);

  const addr = kongAddr(args.kongAddr, current.admin.port);
  const gateway = await probeGateway(addr);
  if ("error" in gateway) {
    log(`diff ${args.env}: ${gateway.error}; ${adminAccessHint(current)}. Comparing with the rendering at HEAD instead (use --against <env> or --ref <git-ref> to choose).`);
    return diffAgainstRef(args.env, "HEAD", current.reviewYaml, args.failOnDiff);
  }
  log(`diff ${args.env}: against the running gateway at ${addr} (Kong ${gateway.version}, database=${gateway.database})`);
  const missing = current.secretVariables.filter((v) => (process.env[v] ?? "") === "");
  if (missing.length > 0 && !args.skipConsumers) {
    throw new UsageError(
      `diff ${args.env}: comparing with a gateway compares credentials too, and these are not set: ${missing.join(", ")}. ` +
        `Fix: export them, or pass --skip-consumers to compare everything but consumers.`,
    );
  }
  const bin = deckBinary() as string;
  const flags = ["gateway", "diff", "--kong-addr", addr, "--non-zero-exit-code", ...(args.skipConsumers ? ["--skip-consumers"] : [])];
  // decK substitutes the DECK_ variables itself and masks their values in what it prints.
  const r = withTempFile("kong.yaml", current.reviewYaml, (file) => runDeck(bin, [...flags, file]));
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status === 2) return args.failOnDiff ? 2 : 0;
  if (r.status !== 0) throw new UsageError(`diff ${args.env}: deck gateway diff failed (exit ${r.status})`);
  return 0;
}

function diffAgainstRef(env: string, ref: string, currentYaml: string, failOnDiff: boolean): number {
  return textDiff(`${env} at ${ref}`, renderAtRef(env, ref), `${env} in the working tree`, currentYaml, failOnDiff);
}

/**
 * Renders with the code and data of a git ref, extracted with `git archive` into a temporary
 * directory: the user's checkout, index and stash are never touched.
 */
export function renderAtRef(env: string, ref: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-deck-ref-"));
  try {
    // The Kong rendering reads the environment catalogue (components/environments.ts) from the
    // commit that introduced it; older refs have none.
    const catalogue = spawnSync("git", ["-C", ROOT, "cat-file", "-e", `${ref}:components/environments.ts`]).status === 0 ? ["components/environments.ts"] : [];
    const archive = spawnSync("git", ["-C", ROOT, "archive", "--format=tar", ref, "--", "kong", "components/kong", ...catalogue], { maxBuffer: 256 << 20 });
    if (archive.status !== 0) {
      throw new UsageError(`diff ${env}: cannot read kong/ and components/kong/ at git ref ${JSON.stringify(ref)}: ${archive.stderr.toString().trim()}`);
    }
    const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
    if (untar.status !== 0) throw new UsageError(`diff ${env}: extracting ${ref} failed: ${untar.stderr.toString().trim()}`);
    const renderer = path.join(dir, "components/kong/render.ts");
    if (!fs.existsSync(renderer)) throw new UsageError(`diff ${env}: ${ref} has no components/kong/render.ts, so there is no rendering to compare with`);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const mod = require(renderer) as { renderKongConfig(stack: string, opts?: object): { yaml: string; reviewYaml?: string } };
    const rendered = mod.renderKongConfig(env, { lint: false, resolveSecrets: false });
    return rendered.reviewYaml ?? rendered.yaml;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function textDiff(oldLabel: string, oldText: string, newLabel: string, newText: string, failOnDiff: boolean): number {
  if (oldText === newText) {
    log(`no difference between ${oldLabel} and ${newLabel}`);
    return 0;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-deck-diff-"));
  try {
    fs.writeFileSync(path.join(dir, "old.yaml"), oldText);
    fs.writeFileSync(path.join(dir, "new.yaml"), newText);
    const r = spawnSync("diff", ["-u", "--label", oldLabel, "--label", newLabel, "old.yaml", "new.yaml"], { cwd: dir, encoding: "utf8" });
    if (r.status !== 1) throw new UsageError(`diff: comparing renderings failed: ${r.stderr || r.error?.message}`);
    process.stdout.write(r.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return failOnDiff ? 2 : 0;
}
