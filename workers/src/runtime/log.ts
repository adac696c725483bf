export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

/**
 * JSON lines on stderr, so stdout stays free for the reconciler's report.
 * COEXIST_LOG_LEVEL picks the threshold (default info).
 */
export function jsonLogger(component: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const wanted = env.COEXIST_LOG_LEVEL ?? "info";
  const threshold = wanted in LEVELS ? LEVELS[wanted as Level] : LEVELS.info;
  const emit = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level, component, msg, ...fields }, bigintSafe)}\n`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

function bigintSafe(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}
