// scripts/crds runs this after a generator: reads DIR/*.yaml (one CRD per file) and writes
// DIR/index.json, or exits 1 naming the file that is not a usable CustomResourceDefinition.
//   node --import tsx scripts/crds.d/write-index.ts DIR OPERATOR VERSION SOURCE GENERATOR
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildIndex } from "./crd-index";

function main(argv: readonly string[]): void {
  const [dir, operator, version, source, generator] = argv;
  if (!dir || !operator || !version || !source || !generator) {
    throw new Error("usage: write-index.ts DIR OPERATOR VERSION SOURCE GENERATOR");
  }
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((file) => ({ file, text: readFileSync(join(dir, file), "utf8") }));
  const index = buildIndex({ operator, version, source, generator }, files);
  writeFileSync(join(dir, "index.json"), JSON.stringify(index, null, 2) + "\n");
  for (const c of index.crds) {
    console.log(`${c.kind} ${c.group} [${c.versions.map((v) => v.name + (v.storage ? "*" : "")).join(" ")}] ${c.file}`);
  }
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(`scripts/crds: ${(e as Error).message}`);
  process.exit(1);
}
