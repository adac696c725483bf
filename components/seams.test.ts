import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";

/**
 * The shape issue 15 asks of components/: platform.ts a short composition that neither tests the
 * target nor asserts non-null; each backing service chosen by its factory alone; no file past 300
 * lines. Read from the sources (TypeScript's parser, not a regex, for `!`).
 */

const ROOT = __dirname;
const SERVICES = ["postgres", "kafka", "connect", "mongodb"] as const;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [p] : [];
  });
}

/** Each non-null assertion (`x!`) in a file, as line:text. */
export function nonNullAssertions(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isNonNullExpression(n)) found.push(`${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}:${n.getText()}`);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

const TARGET_TEST = /\btarget\.kind\b|\btarget\s*[!=]==/;

describe("components/ seams", () => {
  it("keeps platform.ts a short composition: under 170 lines, no non-null assertion, no target test", () => {
    const file = path.join(ROOT, "platform.ts");
    const lines = fs.readFileSync(file, "utf8").split("\n");
    assert.ok(lines.length < 170, `platform.ts has ${lines.length} lines`);
    assert.deepEqual(nonNullAssertions(file), []);
    assert.deepEqual(lines.filter((l) => TARGET_TEST.test(l)), []);
  });

  it("chooses each service's realisation in its factory only: no realisation or endpoint tests the target", () => {
    const offenders = SERVICES.flatMap((s) => sources(path.join(ROOT, s)))
      .flatMap((f) => fs.readFileSync(f, "utf8").split("\n").map((l, i) => [f, i + 1, l] as const))
      .filter(([, , l]) => TARGET_TEST.test(l))
      .map(([f, n, l]) => `${path.relative(ROOT, f)}:${n}: ${l.trim()}`);
    assert.deepEqual(offenders, []);
  });

  it("keeps every file in components/ under 300 lines", () => {
    const long = sources(ROOT).map((f) => [path.relative(ROOT, f), fs.readFileSync(f, "utf8").split("\n").length] as const).filter(([, n]) => n > 300);
    assert.deepEqual(long, []);
  });

  it("finds a non-null assertion when there is one (the check is not blind)", () => {
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "seams-")), "x.ts");
    fs.writeFileSync(tmp, "const a: { b?: { c: number } } = {};\nexport const d = a.b!.c;\n");
    assert.deepEqual(nonNullAssertions(tmp), ["2:a.b!"]);
  });
});
