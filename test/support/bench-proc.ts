/**
 * CPU time of the bench's processes, read from /proc (Linux): the sink process (the worker, a
 * bench child, the Kafka Connect JVM and its task threads) and the store (FerretDB and the whole
 * PostgreSQL cluster it writes into, backends that exited included).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** USER_HZ: /proc reports CPU time in these ticks (100 on every Linux the bench runs on). */
const TICKS_PER_SECOND = 100;

interface Stat {
  readonly comm: string;
  readonly ppid: number;
  /** utime + stime, in seconds. */
  readonly cpu: number;
  /** cutime + cstime: children the process waited for, in seconds. */
  readonly children: number;
}

/** Parses /proc/<pid>/stat; comm may hold spaces and parentheses, so fields are counted from its end. */
export function parseStat(text: string): Stat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${text.slice(0, 60)}`);
  const f = text.slice(close + 2).trim().split(/\s+/);
  // f[0] is field 3 (state): ppid is field 4, utime..cstime fields 14..17.
  const n = (field: number) => Number(f[field - 3]);
  return { comm: text.slice(open + 1, close), ppid: n(4), cpu: (n(14) + n(15)) / TICKS_PER_SECOND, children: (n(16) + n(17)) / TICKS_PER_SECOND };
}

function stat(path: string): Stat | undefined {
  try {
    return parseStat(readFileSync(path, "utf8"));
  } catch {
    return undefined; // exited meanwhile
  }
}

/** CPU seconds a process used so far, all its threads. */
export function processCpu(pid: number): number {
  const s = stat(`/proc/${pid}/stat`);
  if (!s) throw new Error(`process ${pid} is gone; cannot read its CPU time`);
  return s.cpu;
}

/** CPU seconds used so far by the threads of `pid` whose name starts with `prefix` (Linux keeps 15 characters). */
export function threadsCpu(pid: number, prefix: string): number {
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const s = stat(`/proc/${pid}/task/${tid}/stat`);
    if (s?.comm.startsWith(prefix)) sum += s.cpu;
  }
  return sum;
}

/**
 * CPU seconds used so far by a process and all its children: live ones, and exited ones it
 * reaped (the postmaster waits for every backend it forked).
 */
export function treeCpu(pid: number): number {
  const root = stat(`/proc/${pid}/stat`);
  if (!root) throw new Error(`process ${pid} is gone; cannot read its CPU time`);
  let sum = root.cpu + root.children;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(join("/proc", entry, "stat"));
    if (s?.ppid === pid) sum += s.cpu;
  }
  return sum;
}

export function readPid(file: string): number {
  const pid = Number(readFileSync(file, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${file} does not hold a pid`);
  return pid;
}
