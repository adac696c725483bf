import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/**
 * A stack's config as the Pulumi CLI hands it to the program: the project-level values in
 * Pulumi.yaml (`config: <key>: value:`, e.g. the shared capture list) under the stack file's own
 * keys, which replace them. The mock tests and the policy pack's tests read stacks through this,
 * so they see what the engine sees (scripts/stack's engine runs the CLI, which merges them itself).
 */

const ROOT = path.join(__dirname, "..");

/** The project-level config values of Pulumi.yaml, as `coexist:<key>` (keys without a value, schema only, are skipped). */
export function projectConfig(root = ROOT): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string; config?: Record<string, unknown> };
  const out: Record<string, unknown> = {};
  for (const [key, decl] of Object.entries(doc.config ?? {})) {
    if (decl !== null && typeof decl === "object" && "value" in decl) out[key.includes(":") ? key : `${doc.name}:${key}`] = (decl as { value: unknown }).value;
  }
  return out;
}

/** Project values overlaid by a stack's own config (a stack key replaces the project's whole value). */
export function withProjectConfig(stackConfig: Readonly<Record<string, unknown>>, root = ROOT): Record<string, unknown> {
  return { ...projectConfig(root), ...stackConfig };
}

/** stacks/Pulumi.<stack>.yaml's config, with the project-level values it inherits. */
export function stackConfig(stack: string, root = ROOT): Record<string, unknown> {
  const file = parse(fs.readFileSync(path.join(root, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> } | null;
  return withProjectConfig(file?.config ?? {}, root);
}
