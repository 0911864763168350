// A one-line progress bar for terminals. It redraws at most ten times a second (redrawing on every
// step would cost more than a small step) and erases itself when done, so the per-epoch summary
// lines stay readable. Not used when the output is not a terminal: logs get plain lines instead.

/** A progress bar on one terminal line. */
export class ProgressBar {
  private last = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly width = 30,
  ) {}

  /** Redraws the bar at `done` of `total`, with a label before and a note after it. */
  update(label: string, done: number, total: number, note: string, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const filled = total > 0 ? Math.round((done / total) * this.width) : 0;
    const bar = "█".repeat(filled) + "░".repeat(this.width - filled);
    const line = `${label} ${bar} ${done}/${total} ${note}`;
    const columns = this.stream.columns || 100;
    this.stream.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
  }

  /** Erases the bar's line. */
  clear(): void {
    this.stream.write("\r\x1b[K");
    this.last = 0;
  }
}
