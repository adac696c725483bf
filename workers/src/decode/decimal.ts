import { Decimal128 } from "mongodb";

/**
 * How NUMERIC values are stored. `decimal128` is the real-MongoDB default;
 * `string` exists only for FerretDB v1, which has no Decimal128 type (see
 * workers/README.md, "FerretDB"). Both enforce the same exactness rule, so
 * the compatibility switch changes the encoding, never which rows sync.
 */
export type DecimalEncoding = "decimal128" | "string";

/** Raised for values that cannot be stored without losing information. */
export class UnrepresentableValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnrepresentableValueError";
  }
}

/** Kafka Connect Decimal: big-endian two's-complement unscaled integer. */
export function unscaledFromBase64(b64: string): bigint {
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length === 0) return 0n;
  let n = BigInt(`0x${bytes.toString("hex")}`);
  if ((bytes[0] as number) & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return n;
}

/** Plain decimal text (no exponent) for unscaled × 10^-scale, keeping the scale's trailing zeros. */
export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  let text: string;
  if (scale <= 0) {
    text = digits === "0" ? "0" : digits + "0".repeat(-scale);
  } else {
    const padded = digits.padStart(scale + 1, "0");
    text = `${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
  }
  return negative ? `-${text}` : text;
}

/**
 * Encodes decimal text exactly, or refuses. Decimal128 holds 34 significant
 * digits; PostgreSQL NUMERIC holds up to 1000, so NUMERIC(38,18) values such as
 * 99999999999999999999.999999999999999999 do not fit. Rounding them would
 * silently change money amounts, so they are rejected (the record goes to the
 * DLQ, the reconciler reports the row).
 */
export function encodeDecimal(text: string, field: string, encoding: DecimalEncoding): Decimal128 | string {
  let d: Decimal128;
  try {
    d = Decimal128.fromString(text);
  } catch {
    throw new UnrepresentableValueError(
      `field "${field}": NUMERIC value ${text} has more than 34 significant digits and cannot be stored exactly as Decimal128; ` +
        `narrow the column (e.g. NUMERIC(34,${scaleOf(text)})) or map it to text in a transform`,
    );
  }
  return encoding === "decimal128" ? d : text;
}

const MAX_COEFFICIENT = 10n ** 34n;
const EXPONENT_BIAS = 6176;
const MAX_BIASED_EXPONENT = 12287;
const LOW_64 = (1n << 64n) - 1n;

/**
 * The NUMERIC value unscaled × 10^-scale, encoded exactly as `encodeDecimal(decimalText(...))`
 * would, without going through text: parsing text into Decimal128 was a tenth of the worker's
 * CPU per event. A coefficient of up to 34 digits is written straight into Decimal128's binary
 * integer layout (sign, biased exponent, coefficient); anything else takes the text path, which
 * decides exactness as it always did.
 */
export function encodeUnscaled(unscaled: bigint, scale: number, field: string, encoding: DecimalEncoding): Decimal128 | string {
  const negative = unscaled < 0n;
  const coefficient = negative ? -unscaled : unscaled;
  const biased = EXPONENT_BIAS - scale;
  // A negative scale is written out as trailing zeros by the text path (5 × 10^3 is "5000",
  // exponent 0), so it takes that path to store the very same bytes.
  if (coefficient >= MAX_COEFFICIENT || !Number.isInteger(scale) || scale < 0 || biased < 0 || biased > MAX_BIASED_EXPONENT) {
    return encodeDecimal(decimalText(unscaled, scale), field, encoding);
  }
  if (encoding === "string") return decimalText(unscaled, scale);
  const high = (negative ? 1n << 63n : 0n) | (BigInt(biased) << 49n) | (coefficient >> 64n);
  const bytes = Buffer.alloc(16);
  bytes.writeBigUInt64LE(coefficient & LOW_64, 0);
  bytes.writeBigUInt64LE(high, 8);
  return new Decimal128(bytes);
}

function scaleOf(text: string): number {
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}
