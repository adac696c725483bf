import { Long } from "mongodb";
import type { Change, DocumentId } from "./change.js";
import { compareVersions } from "./version.js";

/**
 * Per document id, the writes a batch needs, as rounds written one after the other (a round
 * holds at most one change per id, as the writer requires). Offset order is not trusted: after
 * a consumer-group rebalance the stream re-fetches from the committed offsets, so one batch can
 * hold a partition twice, the older copy last; changes are ordered by version (see version.ts).
 * Equal versions are the same change delivered twice; the later copy is kept.
 *
 * Round 0 holds, per id, the newest complete change (a full image or a delete); older ones are
 * superseded. A partial image (unchanged TOAST columns left out) newer than it is never merged
 * into it: the merge would claim, at the partial's version, column values of an older version,
 * and beat a stored version in between (issue 14 §1.1: L1 notes=A, L2 notes=B stored, L3 only
 * status; L1+L3 written as one image at L3's version reverted notes to A). Each such partial is
 * written in a round of its own, in version order, as the `$set` of its own columns guarded by
 * its own version; the writer then applies exactly what PostgreSQL did, whatever is stored.
 */
export function compactRounds(changes: readonly Change[]): Change[][] {
  const byId = new Map<string, Change[]>();
  for (const c of changes) {
    const k = idKey(c.id);
    const list = byId.get(k);
    if (list) list.push(c);
    else byId.set(k, [c]);
  }
  const rounds: Change[][] = [];
  for (const list of byId.values()) {
    // Stable sort: among equal versions the later delivery stays last.
    const ordered = list.length === 1 ? list : [...list].sort((a, b) => compareVersions(a.version, b.version));
    // Drop duplicates of one version (the later delivery wins).
    const unique: Change[] = [];
    for (const c of ordered) {
      const last = unique[unique.length - 1];
      if (last && compareVersions(last.version, c.version) === 0) unique[unique.length - 1] = c;
      else unique.push(c);
    }
    let base = 0;
    for (let i = unique.length - 1; i >= 0; i--) {
      if (!(unique[i] as Change).partial) {
        base = i;
        break;
      }
    }
    unique.slice(base).forEach((c, round) => (rounds[round] ??= []).push(c));
  }
  return rounds;
}

/** Every write of `compactRounds`, round after round. */
export function compactByKey(changes: readonly Change[]): Change[] {
  return compactRounds(changes).flat();
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

/** A map key that distinguishes 1 from "1" but not the number 1 from Long(1); a composite key by its columns in order. */
export function idKey(id: DocumentId): string {
  if (typeof id === "string") return `s:${id}`;
  if (id instanceof Long) return `n:${id.toString()}`;
  if (typeof id === "number") return `n:${id}`;
  // A composite key: its columns in order (see change.ts).
  return `c:${JSON.stringify(Object.entries(id).map(([k, v]) => [k, idKey(v)]))}`;
}
