import { writeFileSync } from "node:fs";

/**
 * Collects what the benchmarks print: every line goes to stdout as it comes (so a long run shows progress)
 * and into the Markdown document written to bench/RESULTS.md at the end.
 */
export class Report {
  private readonly lines: string[] = [];

  constructor(private readonly out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  /** A raw line, exactly as given (for the benchmarks that print their own tables). */
  readonly print = (line: string): void => {
    for (const l of line.split("\n")) this.lines.push(l);
    this.out(line);
  };

  heading(title: string): void {
    this.print(`\n## ${title}`);
  }

  /** A paragraph of explanation under a heading. */
  note(text: string): void {
    this.print(text);
  }

  /** A Markdown table; `align` is "l" or "r" per column (default: first left, the rest right). */
  table(
    header: readonly string[],
    rows: readonly (readonly string[])[],
    align?: readonly ("l" | "r")[],
  ): void {
    const al = header.map((_, i) => align?.[i] ?? (i === 0 ? "l" : "r"));
    const cell = (s: string) => s.replaceAll("|", "\\|");
    this.print("");
    this.print(`| ${header.map(cell).join(" | ")} |`);
    this.print(`| ${al.map((a) => (a === "r" ? "---:" : "---")).join(" | ")} |`);
    for (const r of rows) this.print(`| ${r.map(cell).join(" | ")} |`);
    this.print("");
  }

  /** The document: a blank line before every table (GitHub renders none that follows a paragraph line). */
  markdown(): string {
    const out: string[] = [];
    for (const line of this.lines) {
      const prev = out.at(-1);
      if (line.startsWith("|") && prev !== undefined && prev !== "" && !prev.startsWith("|")) out.push("");
      out.push(line);
    }
    return `${out
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trim()}\n`;
  }

  write(path: string, preamble = ""): void {
    writeFileSync(path, `${preamble}${this.markdown()}`);
  }
}
