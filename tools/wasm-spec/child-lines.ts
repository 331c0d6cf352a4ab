// A child process spoken to line by line: write a request, await reply lines with a deadline.
// Keeps the tail of stderr and the exit status, so a crash is reported with its cause.

import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class LineChild {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private partial = "";
  private stderrTail = "";
  private exit: ExitInfo | undefined;
  private spawnError: Error | undefined;
  private waiter: (() => void) | undefined;

  constructor(file: string, args: readonly string[]) {
    this.child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("utf8");
    this.child.stderr.setEncoding("utf8");
    this.child.stdout.on("data", (chunk: string) => {
      const parts = (this.partial + chunk).split("\n");
      this.partial = parts.pop() ?? "";
      this.lines.push(...parts);
      this.wake();
    });
    this.child.stderr.on("data", (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    this.child.on("error", (e) => {
      this.spawnError = e;
      this.exit ??= { code: null, signal: null };
      this.wake();
    });
    this.child.on("close", (code, signal) => {
      this.exit = { code, signal };
      this.wake();
    });
    // A dead child makes writes fail with EPIPE; the exit status reports it instead.
    this.child.stdin.on("error", () => {});
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  send(line: string): void {
    if (!this.exit) this.child.stdin.write(line + "\n");
  }

  /** Next stdout line, or undefined at EOF / exit; throws after `timeoutMs`. */
  async nextLine(timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.exit) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Why the child is gone: exit status or signal, and the end of its stderr. */
  deathReport(): string {
    const e = this.exit;
    const how = this.spawnError
      ? `could not start: ${this.spawnError.message}`
      : !e
        ? "still running"
        : e.signal
          ? `killed by ${e.signal}`
          : `exited with status ${e.code}`;
    const err = this.stderrTail.trim();
    return err ? `${how}; stderr: ${err.split("\n").slice(-5).join(" | ")}` : how;
  }

  get exited(): boolean {
    return this.exit !== undefined;
  }

  /** Asks the child to quit (closing stdin), killing it if it lingers. */
  async close(quitLine: string | undefined, graceMs = 2000): Promise<void> {
    if (!this.exit) {
      if (quitLine !== undefined) this.send(quitLine);
      this.child.stdin.end();
    }
    const deadline = Date.now() + graceMs;
    while (!this.exit && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    if (!this.exit) this.kill();
  }

  kill(): void {
    if (!this.exit) this.child.kill("SIGKILL");
  }
}
