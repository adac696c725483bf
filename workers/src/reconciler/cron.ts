/**
 * Five-field cron (minute hour day-of-month month day-of-week, UTC) for
 * `--schedule`: on the Docker target there is no CronJob, so the reconciler
 * container stays up and runs itself. Supports *, lists, ranges and steps.
 */
export interface CronSchedule {
  matches(d: Date): boolean;
  /** The first matching minute strictly after `after`. */
  next(after: Date): Date;
}

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day-of-week", min: 0, max: 7 },
] as const;

export function parseCron(expr: string): CronSchedule {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`--schedule "${expr}": expected five fields (minute hour day month weekday), e.g. "0 * * * *"`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => field(p, FIELDS[i] as (typeof FIELDS)[number], expr)) as Set<number>[] as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (dow.has(7)) dow.add(0);
  const domAny = parts[2] === "*";
  const dowAny = parts[4] === "*";
  const matches = (d: Date): boolean => {
    if (!minute.has(d.getUTCMinutes()) || !hour.has(d.getUTCHours()) || !month.has(d.getUTCMonth() + 1)) return false;
    const domOk = dom.has(d.getUTCDate());
    const dowOk = dow.has(d.getUTCDay());
    // Classic cron: when both day fields are restricted, either may match.
    if (domAny || dowAny) return domOk && dowOk;
    return domOk || dowOk;
  };
  const schedule: CronSchedule = {
    matches,
    next(after: Date): Date {
      const t = new Date(after.getTime());
      t.setUTCSeconds(0, 0);
      // Four years of minutes bounds the search (e.g. "0 0 29 2 *").
      for (let i = 0; i < 4 * 366 * 24 * 60; i++) {
        t.setUTCMinutes(t.getUTCMinutes() + 1);
        if (matches(t)) return new Date(t.getTime());
      }
      throw new Error(`--schedule "${expr}" never matches; fix the day/month fields`);
    },
  };
  // Fail at start, not at the first run, for impossible dates such as "0 0 31 2 *".
  schedule.next(new Date());
  return schedule;
}

function field(text: string, spec: (typeof FIELDS)[number], expr: string): Set<number> {
  const out = new Set<number>();
  const bad = (why: string) => new Error(`--schedule "${expr}": ${spec.name} field "${text}" ${why}; allowed ${spec.min}-${spec.max}`);
  for (const item of text.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!m) throw bad("is not a number, range, list or step");
    const from = m[1] === "*" ? spec.min : Number(m[2]);
    const to = m[1] === "*" ? spec.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? spec.max : from;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (from < spec.min || to > spec.max || from > to || step < 1) throw bad("is out of range");
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}
