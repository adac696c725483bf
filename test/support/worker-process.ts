/** A worker or reconciler run as a child process, the way the image runs it (from source, via tsx). */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import { ROOT } from "./dataplane";

export class WorkerProcess {
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  metricsPort = 0;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    /** The child's stderr (JSON log lines) is also appended here, to investigate failures. */
    readonly logFile: string,
  ) {
    child.stdout?.setEncoding("utf8").on("data", (d: string) => this.stdout.push(d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.stderr.push(d);
      appendFileSync(logFile, d);
    });
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        resolve(code);
      }),
    );
  }

  static spawn(entry: string, args: string[], env: Record<string, string>, logFile: string): WorkerProcess {
    const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new WorkerProcess(child, logFile);
  }

  /** Sends the signal and waits for the exit; resolves with the exit code (null when killed). */
  async stop(signal: NodeJS.Signals): Promise<number | null> {
    if (this.exitCode === null && this.signal === null) this.child.kill(signal);
    return this.exited;
  }

  tail(lines = 20): string {
    return this.stderr.join("").split("\n").slice(-lines).join("\n");
  }

  async metrics(): Promise<string> {
    const r = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`);
    return r.text();
  }
}

/** Reads one sample of a Prometheus metric from exposition text (summing over label sets that match). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
