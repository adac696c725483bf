// The index scripts/crds writes beside the CRD files it generates: which file holds which kind,
// group and versions. The stack's code reads index.json instead of parsing every file, so a file
// that is not a usable CustomResourceDefinition is refused here, with the file and the reason.
// write-index.ts is the command scripts/crds runs.
import { parseAllDocuments } from "yaml";

export interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
}

export interface CrdEntry {
  readonly file: string;
  readonly name: string;
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly scope: string;
  readonly versions: readonly CrdVersion[];
}

export interface CrdIndex {
  readonly operator: string;
  readonly version: string;
  /** The registry artifact the CRDs were generated from, e.g. "go:<module>@<version>". */
  readonly source: string;
  /** The generator and the options it ran with. */
  readonly generator: string;
  readonly crds: readonly CrdEntry[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== "string" || v === "") throw new Error(`${where}: ${key} must be a non-empty string, found ${JSON.stringify(v)}`);
  return v;
}

function obj(o: Obj, key: string, where: string): Obj {
  const v = o[key];
  if (!isObj(v)) throw new Error(`${where}: ${key} must be an object, found ${JSON.stringify(v)?.slice(0, 80)}`);
  return v;
}

/** Checks one parsed document is an apiextensions.k8s.io/v1 CRD with a schema per version. */
export function describeCrd(doc: unknown, file: string): CrdEntry {
  const where = `${file}`;
  if (!isObj(doc)) throw new Error(`${where}: not a YAML mapping`);
  if (doc.apiVersion !== "apiextensions.k8s.io/v1" || doc.kind !== "CustomResourceDefinition") {
    throw new Error(`${where}: expected apiextensions.k8s.io/v1 CustomResourceDefinition, found ${String(doc.apiVersion)} ${String(doc.kind)}`);
  }
  const metadata = obj(doc, "metadata", where);
  const spec = obj(doc, "spec", where);
  const names = obj(spec, "names", `${where} spec`);
  const name = str(metadata, "name", `${where} metadata`);
  const group = str(spec, "group", `${where} spec`);
  const kind = str(names, "kind", `${where} spec.names`);
  const plural = str(names, "plural", `${where} spec.names`);
  const scope = str(spec, "scope", `${where} spec`);
  if (name !== `${plural}.${group}`) throw new Error(`${where}: metadata.name ${name} is not <plural>.<group> (${plural}.${group})`);
  const raw = spec.versions;
  if (!Array.isArray(raw) || raw.length === 0) throw new Error(`${where}: spec.versions is empty`);
  const versions = raw.map((v: unknown, i: number): CrdVersion => {
    const at = `${where} spec.versions[${i}]`;
    if (!isObj(v)) throw new Error(`${at}: not a mapping`);
    const vname = str(v, "name", at);
    if (typeof v.served !== "boolean" || typeof v.storage !== "boolean") throw new Error(`${at} (${vname}): served and storage must be booleans`);
    const schema = obj(obj(v, "schema", at), "openAPIV3Schema", `${at}.schema`);
    if (schema.type !== "object") throw new Error(`${at}.schema.openAPIV3Schema: type must be "object", found ${JSON.stringify(schema.type)}`);
    return { name: vname, served: v.served, storage: v.storage };
  });
  const storage = versions.filter((v) => v.storage).map((v) => v.name);
  if (storage.length !== 1) throw new Error(`${where}: exactly one version must be the storage version, found [${storage.join(", ")}]`);
  return { file, name, group, kind, plural, scope, versions };
}

/** Parses each file (one CRD per file) and builds the index, ordered by group then kind. */
export function buildIndex(
  meta: Omit<CrdIndex, "crds">,
  files: readonly { readonly file: string; readonly text: string }[],
): CrdIndex {
  if (files.length === 0) throw new Error(`${meta.operator}: the generator wrote no CRD file`);
  const crds = files.map(({ file, text }) => {
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs)) throw new Error(`${file}: not YAML`);
    const nonEmpty = docs.filter((d) => d.contents !== null);
    if (nonEmpty.length !== 1) throw new Error(`${file}: expected one CRD document, found ${nonEmpty.length}`);
    const [doc] = nonEmpty;
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
    return describeCrd(doc.toJS(), file);
  });
  const seen = new Map<string, string>();
  for (const c of crds) {
    const other = seen.get(c.name);
    if (other) throw new Error(`${c.file} and ${other} both define ${c.name}`);
    seen.set(c.name, c.file);
  }
  crds.sort((a, b) => a.group.localeCompare(b.group) || a.kind.localeCompare(b.kind));
  return { ...meta, crds };
}
