/**
 * A preview report as a pull-request comment: summary first (counts by operation), then what a
 * reviewer must not miss (stateful resources replaced or deleted, policy violations, errors), then
 * the Debezium connector's config diff, the gateway's route diff, and per-resource field diffs in
 * collapsed sections. It stays under GitHub's comment limit by leaving out detail sections, never
 * the summary, and says what it left out. A hidden marker lets CI edit the comment in place.
 */
import type { PreviewReport, ResourceChange } from "./markdown";
import { ConnectorDiff, connectorDiffs } from "./markdown-connector";
import { graphBlock } from "./markdown-graph";
import { GatewayDiff, gatewayDiffs } from "./markdown-kong";
import { FieldDiff, lineDiff, showValue } from "./markdown-values";

/** GitHub refuses a comment body longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface RenderOptions {
  /** @default GITHUB_COMMENT_LIMIT */
  readonly maxChars?: number;
  /** What a reader runs for everything the comment leaves out. @default scripts/stack preview <stack> --diff */
  readonly fullDiffCommand?: string;
}

/** The hidden line CI looks for to update this stack's comment instead of adding one. */
export function previewMarker(stack: string): string {
  return `<!-- coexist-preview:${stack} -->`;
}

const ORDER = ["create", "update", "replace", "delete"] as const;
const VERB: Record<string, string> = { create: "to create", update: "to update", replace: "to replace", delete: "to delete" };

export function html(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A table cell: inline code, safe for the table's pipes and for HTML. */
function cell(text: string): string {
  return text === "" ? "" : `<code>${html(text).replace(/\|/g, "&#124;").replace(/\n/g, " ")}</code>`;
}

function fence(body: string, lang: string): string {
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((m) => m.length));
  const f = "`".repeat(longest + 1);
  return `${f}${lang}\n${body}\n${f}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function head(r: PreviewReport): string {
  const counts = r.counts;
  const changed = ORDER.map((op) => counts[op] ?? 0);
  const verdict = r.result === "failed" || r.errors.length > 0
    ? "**The preview failed**" + (r.violations.some((v) => v.level === "mandatory") ? ": mandatory policy violations (below)" : ": see the errors below")
    : changed.every((n) => n === 0) ? "No changes." : ORDER.filter((op) => (counts[op] ?? 0) > 0).map((op) => `${counts[op]} ${VERB[op]}`).join(", ") + ".";
  return [
    previewMarker(r.stack),
    `### Preview of \`${r.stack}\``,
    "",
    verdict,
    "",
    "| create | update | replace | delete | unchanged |",
    "|---:|---:|---:|---:|---:|",
    `| ${changed.join(" | ")} | ${counts.same ?? 0} |`,
  ].join("\n");
}

function statefulAlert(r: PreviewReport): string | undefined {
  const hits = r.changes.filter((c) => c.stateful && (c.op === "replace" || c.op === "delete"));
  if (hits.length === 0) return undefined;
  const lines = hits.slice(0, 50).map((c) => {
    const why = c.op === "replace" && c.replaceKeys.length > 0 ? `; replaced because ${c.replaceKeys.map((k) => `\`${k}\``).join(", ")} changed` : "";
    const guard = c.protect ? " **Protected:** the update stops here until someone unprotects it deliberately." : c.op === "delete" && c.retainOnDelete ? " Retained: it leaves the stack but stays where it runs." : "";
    return `> - **${c.op}** \`${c.label}\`: ${c.stateful}${why}.${guard}`;
  });
  if (hits.length > 50) lines.push(`> - … and ${hits.length - 50} more`);
  return [`> [!CAUTION]`, `> **${plural(hits.length, "stateful resource")} would be ${hits.some((c) => c.op === "delete") ? "replaced or deleted" : "replaced"}: what ${hits.length === 1 ? "it holds is" : "they hold is"} lost.**`, ...lines].join("\n");
}

function violationsSection(r: PreviewReport): string | undefined {
  if (r.violations.length === 0) return undefined;
  const label = (urn?: string) => r.changes.find((c) => c.urn === urn)?.label ?? (urn ? urn.slice(urn.lastIndexOf("::") + 2) : "the stack");
  const lines = r.violations.slice(0, 40).map((v) => `- **${v.level}** \`${v.policy}\` on \`${label(v.urn)}\`: ${v.message.split("\n").filter(Boolean).pop() ?? v.message}`);
  if (r.violations.length > 40) lines.push(`- … and ${r.violations.length - 40} more`);
  return [`#### Policy violations (${r.violations.length})`, "", ...lines].join("\n");
}

function errorsSection(r: PreviewReport): string | undefined {
  if (r.errors.length === 0) return undefined;
  const lines = r.errors.slice(0, 20).map((e) => `> - ${e.message.length > 600 ? `${e.message.slice(0, 600)}…` : e.message}`.replace(/\n/g, "\n>   "));
  return ["> [!WARNING]", `> **${plural(r.errors.length, "error")}**`, ...lines].join("\n");
}

function connectorBlock(d: ConnectorDiff): string {
  const rows = d.changes.map((c) => `| ${cell(c.key)} | ${c.kind}${c.replace ? " **(replaces the connector)**" : ""} | ${cell(c.from ?? "")} | ${cell(c.to ?? "")} |`);
  const note = d.op === "replace" && d.changes.some((c) => c.replace)
    ? ["", "**The connector is replaced:** it is deleted first (two connectors on one slot lose changes), and the new one starts from its own offsets."]
    : [];
  return [`<details${d.changes.length <= 15 ? " open" : ""}><summary><b>${d.op}</b> <code>${html(d.label)}</code>: ${plural(d.changes.length, "key")}</summary>`, "", "| key | change | before | after |", "|---|---|---|---|", ...rows, ...note, "", "</details>"].join("\n");
}

function gatewayBlock(g: GatewayDiff): string {
  const rows = g.routes.map((rt) => {
    const details = rt.fields.slice(0, 12).map((f) => `${f.path}: ${f.kind === "add" ? showValue(f.to, 80) : f.kind === "delete" ? `${showValue(f.from, 80)} removed` : `${showValue(f.from, 60)} → ${showValue(f.to, 60)}`}`);
    if (rt.fields.length > 12) details.push(`… ${rt.fields.length - 12} more`);
    const alerts = rt.alerts.map((a) => `**⚠️ ${html(a)}**`);
    return `| ${cell(rt.route)} | ${rt.kind} | ${[...alerts, ...details.map(cell)].join("<br>")} |`;
  });
  const extra = [
    ...(g.consumers.added.length ? [`Consumers added: ${g.consumers.added.map((c) => `\`${c}\``).join(", ")}`] : []),
    ...(g.consumers.removed.length ? [`Consumers removed: ${g.consumers.removed.map((c) => `\`${c}\``).join(", ")}`] : []),
    ...(g.globalPlugins.length ? [`Global plugins: ${g.globalPlugins.map((f) => `\`${f.path}\` ${f.kind}`).join(", ")}`] : []),
  ];
  return [
    `<details open><summary><b>${g.op}</b> <code>${html(g.holder)}</code>: ${plural(g.routes.length, "route")} changed</summary>`,
    "",
    ...(rows.length ? ["| route | change | details |", "|---|---|---|", ...rows] : []),
    ...(extra.length ? ["", ...extra.map((e) => `- ${e}`)] : []),
    "",
    "</details>",
  ].join("\n");
}

function fieldLines(f: FieldDiff): string[] {
  const tag = f.replace ? "  # forces replacement" : "";
  if (f.kind === "update" && typeof f.from === "string" && typeof f.to === "string" && (f.from.includes("\n") || f.to.includes("\n"))) {
    return [`@@ ${f.path}${tag} @@`, ...lineDiff(f.from, f.to).slice(0, 60)];
  }
  if (f.kind === "add") return [`+ ${f.path}: ${showValue(f.to)}${tag}`];
  if (f.kind === "delete") return [`- ${f.path}: ${showValue(f.from)}${tag}`];
  return [`- ${f.path}: ${showValue(f.from)}`, `+ ${f.path}: ${showValue(f.to)}${tag}`];
}

/** One resource's collapsed field diff, cut at `max` characters. */
function resourceBlock(c: ResourceChange, max = 6_000): string {
  const lines: string[] = [];
  let size = 0;
  let shown = 0;
  for (const f of c.fields) {
    const more = fieldLines(f);
    const n = more.join("\n").length + 1;
    if (size + n > max) break;
    lines.push(...more);
    size += n;
    shown++;
  }
  if (shown < c.fields.length) lines.push(`# … ${c.fields.length - shown} more fields`);
  const flags = [c.stateful && (c.op === "replace" || c.op === "delete") ? "⚠️ stateful" : "", c.protect ? "protected" : ""].filter(Boolean).join(", ");
  const summary = `<b>${c.op}</b> <code>${html(c.label)}</code> <sub>${html(c.type)}${flags ? ` · ${flags}` : ""}</sub>`;
  return [`<details><summary>${summary}</summary>`, "", lines.length ? fence(lines.join("\n"), "diff") : "_No input changes shown (a provider-computed difference)._", "", "</details>"].join("\n");
}

const RANK = { replace: 0, delete: 1, update: 2, create: 3 } as const;

export function renderPreviewMarkdown(r: PreviewReport, opts: RenderOptions = {}): string {
  const max = opts.maxChars ?? GITHUB_COMMENT_LIMIT;
  const command = opts.fullDiffCommand ?? `scripts/stack preview ${r.stack} --diff`;
  // Never trimmed: the summary and what must not be missed.
  const fixed = [head(r), statefulAlert(r), errorsSection(r), violationsSection(r)].filter((s): s is string => s !== undefined);
  const footer = `<sub>From the engine's events by \`scripts/stack preview ${r.stack} --markdown\`.</sub>`;
  const groups: { title: string; blocks: string[] }[] = [
    { title: "#### Debezium connector", blocks: connectorDiffs(r.changes).map(connectorBlock) },
    { title: "#### Gateway routes", blocks: gatewayDiffs(r.changes).map(gatewayBlock) },
    { title: "#### Resource graph", blocks: [graphBlock(r.resources ?? [], r.changes.map((c) => c.urn))].filter((b): b is string => b !== undefined) },
    { title: `#### Changes by resource (${r.changes.length})`, blocks: [...r.changes].sort((a, b) => RANK[a.op] - RANK[b.op] || a.label.localeCompare(b.label)).map((c) => resourceBlock(c)) },
  ];
  const parts = [...fixed];
  // Room for the footer and the note on what was left out, decided before any detail goes in.
  let budget = max - parts.join("\n\n").length - footer.length - 400;
  let omitted = 0;
  for (const g of groups) {
    if (g.blocks.length === 0) continue;
    const kept: string[] = [];
    for (const b of g.blocks) {
      const cost = b.length + 2 + (kept.length === 0 ? g.title.length + 2 : 0);
      if (cost > budget) {
        omitted++;
        continue;
      }
      kept.push(b);
      budget -= cost;
    }
    if (kept.length > 0) parts.push([g.title, ...kept].join("\n\n"));
  }
  if (omitted > 0) parts.push(`> [!NOTE]\n> ${plural(omitted, "detail section")} left out to stay under GitHub's ${max.toLocaleString("en-US")}-character limit; run \`${command}\` for everything.`);
  parts.push(footer);
  return `${parts.join("\n\n")}\n`;
}
