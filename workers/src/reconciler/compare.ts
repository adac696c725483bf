import type { Document } from "mongodb";
import { idKey } from "../sync/compact.js";
import type { DocumentId } from "../sync/change.js";
import type { Row } from "../transform/transforms.js";
import { contentHash } from "./hash.js";

/** A row as the worker would have written it. */
export interface Expected {
  readonly id: DocumentId;
  readonly doc: Row;
  readonly hash: string;
}

/** What MongoDB holds for an id: null when there is no document at all. */
export type Observed = Document | null;

export type Divergence =
  | { readonly kind: "missing"; readonly id: DocumentId; readonly expected: Expected; readonly observed: Observed }
  | { readonly kind: "different"; readonly id: DocumentId; readonly expected: Expected; readonly observed: Document }
  | { readonly kind: "ahead"; readonly id: DocumentId; readonly expected: Expected; readonly observed: Document }
  | { readonly kind: "extra"; readonly id: DocumentId; readonly observed: Document };

/**
 * Rows of one key-ordered batch against the documents found for their ids.
 * A soft tombstone counts as absent: the row exists, so the document is missing.
 * `ahead(doc)` says whether a document's version is beyond anything the source has written
 * (a later epoch, or an LSN past the current WAL position): no CDC change could ever beat it,
 * so it is frozen even when its content is right today (an LSN reset without a generation bump).
 */
export function compareRows(expected: readonly Expected[], found: readonly Document[], ahead: (doc: Document) => boolean = () => false): Divergence[] {
  const byId = new Map(found.map((d) => [idKey(d._id as DocumentId), d]));
  const out: Divergence[] = [];
  for (const e of expected) {
    const observed = byId.get(idKey(e.id)) ?? null;
    if (observed === null || observed._deleted === true) out.push({ kind: "missing", id: e.id, expected: e, observed });
    else if (contentHash(observed) !== e.hash) out.push({ kind: "different", id: e.id, expected: e, observed });
    else if (ahead(observed)) out.push({ kind: "ahead", id: e.id, expected: e, observed });
  }
  return out;
}

/** Live documents whose key is not among the snapshot's rows. */
export function findExtras(live: readonly Document[], presentKeys: ReadonlySet<string>): Divergence[] {
  return live.filter((d) => !presentKeys.has(idKey(d._id as DocumentId))).map((d) => ({ kind: "extra" as const, id: d._id as DocumentId, observed: d }));
}
