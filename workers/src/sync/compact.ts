import { Long } from "mongodb";
import type { Change, DocumentId } from "./change.js";

/**
 * Keeps the last change per document id, in first-seen order of ids.
 * Valid only for changes of one partition in offset order: Debezium keys by
 * primary key, so every change of a row lands in the same partition, in
 * commit order, and the last one is the newest.
 */
export function compactByKey(changes: readonly Change[]): Change[] {
  const last = new Map<string, Change>();
  for (const c of changes) {
    const k = idKey(c.id);
    const prev = last.get(k);
    // A partial image (unchanged TOAST columns left out) must not drop the
    // values an earlier change of the same batch carried for those columns.
    last.set(k, c.partial && prev?.doc && c.doc ? { ...c, doc: mergeDocs(prev.doc, c.doc), partial: prev.partial } : c);
  }
  return [...last.values()];
}

/** Applies `next` over `base`; dotted keys ("address.city") update the nested object when `base` has one. */
export function mergeDocs(base: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(next)) {
    const dot = k.indexOf(".");
    const parent = dot > 0 ? out[k.slice(0, dot)] : undefined;
    if (dot > 0 && parent !== null && typeof parent === "object" && !Array.isArray(parent)) {
      out[k.slice(0, dot)] = { ...(parent as Record<string, unknown>), [k.slice(dot + 1)]: v };
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** A map key that distinguishes 1 from "1" but not the number 1 from Long(1). */
export function idKey(id: DocumentId): string {
  if (typeof id === "string") return `s:${id}`;
  if (id instanceof Long) return `n:${id.toString()}`;
  return `n:${id}`;
}
