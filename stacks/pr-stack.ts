import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Renders stacks/Pulumi.pr-<n>.yaml from the template. Host ports shift by a per-PR offset so
 * PR stacks side by side on one engine never collide with each other or with dev.
 */
export function prPortOffset(pr: number): number {
  if (!Number.isInteger(pr) || pr < 1) throw new Error(`pr number must be a positive whole number, got ${pr}`);
  // 100 slots of 10 ports each above dev's ports; PR 100 reuses PR 0's slot, hence +1.
  return ((pr % 100) + 1) * 10;
}

export function renderPrStack(template: string, pr: number): string {
  const offset = prPortOffset(pr);
  return template.replace(/\$\{PORT_OFFSET\+(\d+)\}/g, (_m, base: string) => String(Number(base) + offset));
}

if (require.main === module) {
  const pr = Number(process.argv[2]);
  const dir = __dirname;
  const template = fs.readFileSync(path.join(dir, "Pulumi.pr.template.yaml"), "utf8");
  const out = path.join(dir, `Pulumi.pr-${pr}.yaml`);
  fs.writeFileSync(out, renderPrStack(template, pr));
  process.stdout.write(`${out}\n`);
}
