import { Long } from "mongodb";
import type { Change, DocumentId } from "./change.js";
import { compareVersions } from "./version.js";

/**
 * Keeps, per document id, the change with the highest version (see version.ts), in first-seen
 * order of ids. Offset order is not trusted: after a consumer-group rebalance the stream
 * re-fetches from the committed offsets, so one batch can hold a partition twice, the older
 * copy last. Equal versions are the same change delivered twice; the later copy is kept.
 */
export function compactByKey(changes: readonly Change[]): Change[] {
  const byId = new Map<string, Change[]>();
  for (const c of changes) {
    const k = idKey(c.id);
    const list = byId.get(k);
    if (list) list.push(c);
    else byId.set(k, [c]);
  }
  const out: Change[] = [];
  for (const list of byId.values()) {
    // Stable sort: among equal versions the later delivery stays last.
    const ordered = list.length === 1 ? list : [...list].sort((a, b) => compareVersions(a.version, b.version));
    let acc: Change | undefined;
    for (const c of ordered) {
      // A partial image (unchanged TOAST columns left out) must not drop the values the
      // previous change of the same batch carried for those columns.
      acc = c.partial && acc?.doc && c.doc ? { ...c, doc: mergeDocs(acc.doc, c.doc), partial: acc.partial } : c;
    }
    out.push(acc as Change);
  }
  return out;
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
