// A one-line progress display on stderr: rewritten in place on a terminal, one line per
// step otherwise (CI logs), so that stdout stays clean for --json.
export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private readonly t0 = performance.now();
  private step = 0;
  private lastLength = 0;

  constructor(private readonly total: number, private readonly quiet = false) {}

  /** Starts the next step. */
  next(label: string): void {
    this.step++;
    this.show(label);
  }

  /** Updates the current step's detail (e.g. the repetition). */
  detail(label: string): void {
    if (this.tty) this.show(label);
  }

  private show(label: string): void {
    if (this.quiet) return;
    const secs = ((performance.now() - this.t0) / 1000).toFixed(0);
    const pct = Math.min(100, Math.round((100 * (this.step - 1)) / Math.max(1, this.total)));
    const line = `[${String(this.step).padStart(String(this.total).length)}/${this.total} ${String(pct).padStart(3)}% ${secs}s] ${label}`;
    if (this.tty) {
      const cols = process.stderr.columns ?? 100;
      const shown = line.length > cols - 1 ? `${line.slice(0, cols - 2)}…` : line;
      process.stderr.write(`\r${shown}${' '.repeat(Math.max(0, this.lastLength - shown.length))}`);
      this.lastLength = shown.length;
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  /** Clears the line; later output starts on a fresh line. */
  done(): void {
    if (this.tty && !this.quiet) process.stderr.write(`\r${' '.repeat(this.lastLength)}\r`);
  }
}
