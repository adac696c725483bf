/**
 * The one pull-request comment CI keeps up to date: the checks' results, each stack's preview
 * (rendered by `scripts/stack preview <stack> --markdown --max-chars N`) and the gateway's decK
 * diff per environment, under GitHub's limit, behind one hidden marker. Pure, plus a CLI:
 *
 *   node --import tsx scripts/stack.d/markdown-comment.ts --check typecheck=success \
 *     --preview staging=preview-staging.md --kong staging=kong-staging.txt [--run-url URL] > comment.md
 */
import * as fs from "node:fs";
import { GITHUB_COMMENT_LIMIT, html } from "./markdown-render";

export const REVIEW_MARKER = "<!-- coexist-review -->";

export interface ReviewParts {
  readonly checks: readonly { readonly name: string; readonly result: string }[];
  /** Each stack's rendered preview comment, or why there is none. */
  readonly previews: readonly { readonly stack: string; readonly markdown?: string; readonly missing?: string }[];
  /** decK's diff of each environment's gateway config against the base branch. */
  readonly kong: readonly { readonly stack: string; readonly text: string }[];
  readonly runUrl?: string;
}

const ICON: Record<string, string> = { success: "✅", failure: "❌", cancelled: "⏹️", skipped: "⏭️" };

function fenced(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const f = "`".repeat(longest + 1);
  return `${f}diff\n${text}\n${f}`;
}

export function combineReview(p: ReviewParts, max = GITHUB_COMMENT_LIMIT): string {
  const head = [
    REVIEW_MARKER,
    "## coexist review",
    "",
    "| check | result |",
    "|---|---|",
    ...p.checks.map((c) => `| ${html(c.name)} | ${ICON[c.result] ?? "❔"} ${html(c.result)} |`),
  ].join("\n");
  const footer = p.runUrl ? `<sub>Updated by [this run](${p.runUrl}); the comment is edited in place on every push.</sub>` : "";
  const previews = p.previews.map((x) => x.markdown ?? `### Preview of \`${x.stack}\`\n\n_No preview: ${html(x.missing ?? "not run")}._`);
  const parts = [head, ...previews];
  let budget = max - parts.join("\n\n").length - footer.length - 200;
  const kong: string[] = [];
  for (const k of p.kong) {
    const body = k.text.trim() === "" ? "_No difference._" : fenced(k.text.trim());
    let block = `<details><summary>Gateway config diff: <code>${html(k.stack)}</code> against the base branch</summary>\n\n${body}\n\n</details>`;
    if (block.length > budget) {
      const room = Math.max(0, budget - 400);
      block = room > 200
        ? `<details><summary>Gateway config diff: <code>${html(k.stack)}</code> (cut to fit)</summary>\n\n${fenced(`${k.text.trim().slice(0, room)}\n… cut; run scripts/deck diff ${k.stack} --ref <base>`)}\n\n</details>`
        : `_Gateway config diff of \`${k.stack}\` left out to stay under GitHub's limit; run \`scripts/deck diff ${k.stack} --ref <base>\`._`;
    }
    kong.push(block);
    budget -= block.length + 2;
  }
  if (kong.length) parts.push(["### Gateway routes (decK)", ...kong].join("\n\n"));
  if (footer) parts.push(footer);
  return `${parts.join("\n\n")}\n`;
}

function pairs(argv: readonly string[], flag: string): [string, string][] {
  const out: [string, string][] = [];
  argv.forEach((a, i) => {
    if (a !== flag) return;
    const v = argv[i + 1] ?? "";
    const eq = v.indexOf("=");
    if (eq <= 0) throw new Error(`${flag} needs name=value, found "${v}"`);
    out.push([v.slice(0, eq), v.slice(eq + 1)]);
  });
  return out;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined);
  const runUrl = argv[argv.indexOf("--run-url") + 1];
  const parts: ReviewParts = {
    checks: pairs(argv, "--check").map(([name, result]) => ({ name, result })),
    previews: pairs(argv, "--preview").map(([stack, file]) => {
      const markdown = read(file);
      return markdown?.trim() ? { stack, markdown } : { stack, missing: `${file} was not produced (see the job's log)` };
    }),
    kong: pairs(argv, "--kong").map(([stack, file]) => ({ stack, text: read(file) ?? `(${file} was not produced)` })),
    runUrl: argv.includes("--run-url") ? runUrl : undefined,
  };
  process.stdout.write(combineReview(parts));
}
