import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { isRecord } from "./values";

/** The repository's kong/ directory: base.yaml and overlays/. */
export const KONG_DIR = path.resolve(__dirname, "../../kong");

/** A file's path as error messages show it: relative to the repository when inside it. */
export function relative(file: string): string {
  const rel = path.relative(path.resolve(KONG_DIR, ".."), file);
  return rel.startsWith("..") ? file : rel;
}

export function readYaml(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`${relative(file)}: cannot be read (${(e as Error).message}); fix: restore the file from git`);
  }
  try {
    return YAML.parse(text);
  } catch (e) {
    throw new Error(`${relative(file)}: is not valid YAML: ${(e as Error).message}`);
  }
}

/**
 * YAML for decK. A reference becomes a block scalar with decK's `indent`, so a multi-line value
 * (a PEM key) substituted by decK stays one YAML string instead of breaking the document.
 */
export function toDeckYaml(config: unknown): string {
  const text = YAML.stringify(config, { lineWidth: 0 });
  return text.replace(/^( *)(- )?([a-z_]+): \$\{\{ env "(DECK_[A-Z0-9_]+)" \}\}$/gm, (_all, lead: string, dash = "", key: string, v: string) => {
    const indent = lead.length + dash.length + 2;
    return `${lead}${dash}${key}: |-\n${" ".repeat(indent)}\${{ env "${v}" | indent ${indent} }}`;
  });
}

const KEY_ORDER = ["_format_version", "name", "username", "group", "key", "url", "services", "routes", "consumers", "plugins"];
const ENTITY_SORT_KEYS = ["name", "username", "group", "key"];

/**
 * Deep copy with keys in a fixed order and entity lists sorted by their identity, so the same
 * config always renders to the same bytes whatever the order it was written in.
 */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    const idKey = ENTITY_SORT_KEYS.find((k) => items.length > 0 && items.every((i) => isRecord(i) && typeof i[k] === "string"));
    return idKey ? items.sort((a, b) => String((a as Record<string, unknown>)[idKey]).localeCompare(String((b as Record<string, unknown>)[idKey]))) : items;
  }
  if (!isRecord(value)) return value;
  const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return Object.fromEntries(keys.filter((k) => value[k] !== undefined).map((k) => [k, canonical(value[k])]));
}
