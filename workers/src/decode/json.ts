/**
 * JSON parsing that keeps 64-bit integers exact.
 *
 * Kafka Connect's JsonConverter writes int64 columns (bigint keys, LSNs) as
 * bare JSON numbers; `JSON.parse` rounds anything past 2^53. Node 20 has no
 * reviver source access, so integers that do not fit a double are parsed
 * here as `bigint`. The slow path only runs when the text contains a run of
 * 16+ digits, which ordinary CDC records (ids, ms timestamps) do not.
 * `roundable` names fields whose digits may be rounded (never read), so that
 * they alone do not force the slow path.
 */
export function parseJsonLossless(text: string, roundable?: readonly string[]): unknown {
  if (!needsLossless(text, roundable)) return JSON.parse(text);
  const parser = new LosslessParser(text);
  const value = parser.value();
  parser.end();
  return value;
}

const LONG_RUN = /\d{16,}/g;

/** True when some run of 16+ digits is not the value of a roundable field (checked in place, no copy). */
function needsLossless(text: string, roundable: readonly string[] | undefined): boolean {
  LONG_RUN.lastIndex = 0;
  for (let m = LONG_RUN.exec(text); m !== null; m = LONG_RUN.exec(text)) {
    const at = m.index;
    if (!roundable?.some((f) => text.endsWith(`"${f}":`, at))) return true;
  }
  return false;
}

class LosslessParser {
  private i = 0;
  constructor(private readonly s: string) {}

  end(): void {
    this.ws();
    if (this.i !== this.s.length) this.fail("unexpected trailing characters");
  }

  value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "t") return this.literal("true", true);
    if (c === "f") return this.literal("false", false);
    if (c === "n") return this.literal("null", null);
    return this.number();
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail("expected a string key");
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ":") this.fail("expected ':'");
      this.i++;
      // defineProperty so a "__proto__" key stays data, as with JSON.parse
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.i++];
      if (c === "}") return out;
      if (c !== ",") this.fail("expected ',' or '}'");
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === "]") return out;
      if (c !== ",") this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    const start = this.i;
    this.i++;
    for (;;) {
      const c = this.s[this.i++];
      if (c === undefined) this.fail("unterminated string");
      if (c === "\\") this.i++;
      else if (c === '"') break;
    }
    // The slice is a complete JSON string literal: let the native parser unescape it.
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }

  private number(): number | bigint {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail("unexpected character");
    const raw = m[0];
    this.i += raw.length;
    if (m[2] === undefined && m[3] === undefined) {
      const n = Number(raw);
      return Number.isSafeInteger(n) ? n : BigInt(raw);
    }
    return Number(raw);
  }

  private literal<T>(word: string, v: T): T {
    if (this.s.startsWith(word, this.i)) {
      this.i += word.length;
      return v;
    }
    return this.fail(`expected '${word}'`);
  }

  private ws(): void {
    while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i] as string)) this.i++;
  }

  private fail(why: string): never {
    throw new SyntaxError(`invalid JSON at position ${this.i}: ${why}`);
  }
}
