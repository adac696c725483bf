/**
 * What a preview would change, read from the engine's structured events (the Automation API's
 * `onEvent`, the same events `pulumi preview --json` prints), never from its text output. Pure:
 * events in, a report out; markdown-render.ts turns the report into a pull-request comment.
 */
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { statefulReason } from "../../policy/stateful";
import { describe, Resource } from "../../policy/shapes";
import { type GraphResource, resourcesOfPreview } from "./graph";
import { diffValues, FieldDiff, Json, leaves, maskSecrets, readable, underAny, valueAt } from "./markdown-values";

export type ChangeOp = "create" | "update" | "replace" | "delete";

export interface ResourceChange {
  readonly urn: string;
  readonly type: string;
  /** The Pulumi resource name (last URN segment). */
  readonly name: string;
  /** How a reviewer names it: `KafkaTopic coexist.public.orders`, `Connector coexist-postgres-source`. */
  readonly label: string;
  readonly op: ChangeOp;
  /** Properties whose change forces the replacement. */
  readonly replaceKeys: readonly string[];
  readonly fields: readonly FieldDiff[];
  /** What a replacement or deletion loses, for stateful resources. */
  readonly stateful?: string;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  /** Inputs before and after (secrets as [secret]). */
  readonly before?: Json;
  readonly after?: Json;
}

export interface Violation {
  readonly policy: string;
  readonly level: string;
  readonly message: string;
  readonly urn?: string;
}

export interface PreviewReport {
  readonly stack: string;
  /** The engine's own counts (summary event) by operation, `same` included. */
  readonly counts: Readonly<Record<string, number>>;
  readonly changes: readonly ResourceChange[];
  readonly violations: readonly Violation[];
  readonly errors: readonly { readonly message: string; readonly urn?: string }[];
  /** The engine's verdict, when it got that far. */
  readonly result?: string;
  /** Every resource the preview stepped over (same included), with its parent: the comment's graph. */
  readonly resources?: readonly GraphResource[];
}

const OPS: Partial<Record<OpType, ChangeOp>> = { create: "create", update: "update", replace: "replace", delete: "delete" };

export function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** Folds a preview's events into a report. Unknown event kinds are ignored. */
export function collectPreview(stack: string, events: readonly EngineEvent[]): PreviewReport {
  const changes = new Map<string, ResourceChange>();
  const violations: Violation[] = [];
  const errors: { message: string; urn?: string }[] = [];
  let counts: Record<string, number> | undefined;
  let result: string | undefined;
  for (const e of events) {
    if (e.resourcePreEvent) {
      const m = e.resourcePreEvent.metadata;
      const op = OPS[m.op];
      // Components carry no inputs of their own; their children are listed.
      if (!op || (m.new ?? m.old)?.custom !== true) continue;
      changes.set(m.urn, changeOf(op, m));
    } else if (e.policyEvent) {
      const p = e.policyEvent;
      violations.push({ policy: p.policyName, level: p.enforcementLevel, message: p.message.trim(), urn: p.resourceUrn });
    } else if (e.diagnosticEvent && e.diagnosticEvent.severity === "error") {
      const message = e.diagnosticEvent.message.trim();
      // The engine's closing "preview failed" repeats what the other errors said.
      if (message !== "preview failed" && message !== "update failed") errors.push({ message, urn: e.diagnosticEvent.urn });
    } else if (e.summaryEvent) {
      counts = { ...e.summaryEvent.resourceChanges } as Record<string, number>;
      // The engine sends its verdict too ("succeeded", "failed"); the SDK's type omits it.
      result = (e.summaryEvent as { result?: string }).result;
    }
  }
  const list = [...changes.values()];
  return { stack, counts: counts ?? countOf(list), changes: list, violations, errors, result, resources: resourcesOfPreview(events, { withDeleted: true }) };
}

function countOf(changes: readonly ResourceChange[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of changes) out[c.op] = (out[c.op] ?? 0) + 1;
  return out;
}

type Meta = NonNullable<EngineEvent["resourcePreEvent"]>["metadata"];

function changeOf(op: ChangeOp, m: Meta): ResourceChange {
  const rawBefore = m.old ? readable(m.old.inputs) : undefined;
  const rawAfter = m.new ? readable(m.new.inputs) : undefined;
  const before = rawBefore === undefined ? undefined : maskSecrets(rawBefore);
  const after = rawAfter === undefined ? undefined : maskSecrets(rawAfter);
  const replaceKeys = m.keys ?? [];
  const props = ((after ?? before) ?? {}) as Record<string, unknown>;
  const resource: Resource = { type: m.type, name: nameOf(m.urn), urn: m.urn, props };
  const state = m.new ?? m.old;
  return {
    urn: m.urn,
    type: m.type,
    name: resource.name,
    label: describe(resource),
    op,
    replaceKeys,
    fields: fieldsOf(op, m, rawBefore, rawAfter, replaceKeys).map((f) => shown(f, before, after)),
    stateful: statefulReason(resource),
    protect: state?.protect === true || m.old?.protect === true,
    retainOnDelete: state?.retainOnDelete === true,
    before,
    after,
  };
}

/** A field as a reviewer may see it: values from the masked inputs; a masked value that changed says so. */
function shown(f: FieldDiff, before: Json | undefined, after: Json | undefined): FieldDiff {
  const from = f.from === undefined ? undefined : (valueAt(before, f.path) as Json | undefined) ?? f.from;
  const to = f.to === undefined ? undefined : (valueAt(after, f.path) as Json | undefined) ?? f.to;
  const hidden = f.kind === "update" && JSON.stringify(from) === JSON.stringify(to);
  return { ...f, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to: hidden ? `${String(to)} (changed)` : to } : {}) };
}

function fieldsOf(op: ChangeOp, m: Meta, before: Json | undefined, after: Json | undefined, replaceKeys: readonly string[]): FieldDiff[] {
  if (op === "create") return leaves(after).map((l) => ({ path: l.path, kind: "add", replace: false, to: l.value }));
  if (op === "delete") return leaves(before).map((l) => ({ path: l.path, kind: "delete", replace: false, from: l.value }));
  // The provider's own detailed diff, when it gives one (the Kubernetes provider does), says what
  // it compares and what forces a replacement; otherwise the inputs are compared here.
  const detailed = m.detailedDiff ? Object.entries(m.detailedDiff) : [];
  if (detailed.length > 0) {
    return detailed.map(([path, d]) => {
      const kind = d.diffKind.startsWith("add") ? "add" : d.diffKind.startsWith("delete") ? "delete" : "update";
      return { path, kind, replace: d.diffKind.endsWith("-replace") || underAny(path, replaceKeys), from: readable(valueAt(before, path)), to: readable(valueAt(after, path)) } as FieldDiff;
    }).sort((a, b) => a.path.localeCompare(b.path));
  }
  return diffValues(before, after).map((f) => ({ ...f, replace: underAny(f.path, replaceKeys) }));
}
