import { readdirSync, statSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { readSpecFile } from "../../compiler/index.js";
import { importsOf, parseDoc, type ParsedDoc } from "./parsed-doc.js";

// The .mssm files of the workspace, parsed, so that navigation, references, rename and checking
// never search the disk while answering a request. The disk is read when the index is told to:
// at initialization (every .mssm file under the workspace folders), when a file is opened (and
// the folder beside it, if it lies outside the workspace: a file opened on its own has none),
// when a file-watch event or a save names a file, when a file closes, and once for a file the
// checker asks for that the index does not know yet. Each file is parsed once per text; an open
// buffer is read before the file's copy on disk, and parsed again only when a request needs it
// after an edit. The files a file imports are indexed with it, so a project is always complete.
//
// Canonical .json specs are left out on purpose: they import nothing and nothing imports them,
// so none of their names is shared with another file, and the server does not serve them.

/** The open buffers, by path, which the index reads before the disk. */
export interface OpenBuffers {
  /** The text of an open buffer, or undefined when the path is not open. */
  text(path: string): string | undefined;
  /** The paths of the open buffers. */
  paths(): Iterable<string>;
}

const MSSM = ".mssm";
/** Folders never searched for specs: installed packages and hidden folders (.git, editor state). */
const skipFolder = (name: string) => name === "node_modules" || name.startsWith(".");

/** The parsed .mssm files of the workspace, and the import graph between them. */
export class WorkspaceIndex {
  /** Each known file's last text on disk, parsed. */
  private readonly onDisk = new Map<string, ParsedDoc>();
  /** Each open buffer's last parsed text. */
  private readonly buffers = new Map<string, ParsedDoc>();
  private readonly roots: string[] = [];
  /** Folders outside the workspace already indexed because a file beside them was opened or read. */
  private readonly scanned = new Set<string>();

  /** An empty index that reads the given open buffers before the disk. */
  constructor(private readonly open: OpenBuffers) {}

  /** Indexes every .mssm file under a workspace folder. */
  addRoot(dir: string): void {
    this.roots.push(dir);
    this.scan(dir, true);
  }

  /** Indexes a document just opened, the files it imports and, outside the workspace, the folder beside it. */
  opened(path: string): void {
    const d = this.doc(path);
    if (d) this.indexImports(d);
    for (const p of this.project(path)) this.scanBeside(p.path);
  }

  /** Drops a closed document's buffer and reads the file again from disk. */
  closed(path: string): void {
    this.buffers.delete(path);
    this.indexFile(path);
  }

  /** Reads a file or folder again from disk after it was created, changed or saved; forgets what is gone. */
  refresh(path: string): void {
    let folder = false;
    try {
      folder = statSync(path).isDirectory();
    } catch {
      // Gone: indexFile below forgets it.
    }
    if (folder) this.scan(path, true);
    else if (path.endsWith(MSSM)) this.indexFile(path);
  }

  /** Forgets a deleted file, or every file under a deleted folder. */
  remove(path: string): void {
    for (const p of [...this.onDisk.keys()]) if (p === path || p.startsWith(path + sep)) this.onDisk.delete(p);
  }

  /** The current text of a file (an open buffer, else the indexed copy); a file not yet known is indexed now. */
  read(path: string): string | undefined {
    const text = this.open.text(path);
    if (text !== undefined) return text;
    if (!this.onDisk.has(path)) {
      this.indexFile(path);
      this.scanBeside(path);
    }
    return this.onDisk.get(path)?.text;
  }

  /** The parsed file (an open buffer before the disk), or undefined when the index does not know it. */
  doc(path: string): ParsedDoc | undefined {
    const text = this.open.text(path);
    if (text === undefined) return this.onDisk.get(path);
    const hit = this.buffers.get(path);
    if (hit?.text === text) return hit;
    const parsed = parseDoc(path, text);
    this.buffers.set(path, parsed);
    return parsed;
  }

  /** A known file and everything it imports, transitively, each once; the file itself comes first. */
  project(path: string): ParsedDoc[] {
    const out: ParsedDoc[] = [];
    const seen = new Set<string>();
    const visit = (p: string) => {
      if (seen.has(p)) return;
      seen.add(p);
      const d = this.doc(p);
      if (!d) return;
      out.push(d);
      for (const target of importsOf(d)) visit(target);
    };
    visit(path);
    return out;
  }

  /** Every known file whose project contains `path` (the file itself included), sorted. */
  dependents(path: string): string[] {
    const importers = this.importers();
    const found = new Set<string>([path]);
    const queue = [path];
    for (let p = queue.pop(); p !== undefined; p = queue.pop()) {
      for (const q of importers.get(p) ?? []) {
        if (found.has(q)) continue;
        found.add(q);
        queue.push(q);
      }
    }
    return [...found].sort();
  }

  /** For each imported path, the known files importing it. */
  private importers(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const p of new Set([...this.onDisk.keys(), ...this.open.paths()])) {
      const d = this.doc(p);
      for (const target of d ? importsOf(d) : []) {
        const list = out.get(target) ?? [];
        list.push(p);
        out.set(target, list);
      }
    }
    return out;
  }

  /** Reads a file from disk into the index, with the files it imports that are not known yet. */
  private indexFile(path: string): void {
    const doc = this.readFromDisk(path);
    if (doc) this.indexImports(doc);
  }

  /** Reads one file from disk into the index (forgetting it when it cannot be read); the parsed file when it changed. */
  private readFromDisk(path: string): ParsedDoc | undefined {
    let text: string;
    try {
      text = readSpecFile(path);
    } catch {
      this.onDisk.delete(path);
      return undefined;
    }
    if (this.onDisk.get(path)?.text === text) return undefined;
    const doc = parseDoc(path, text);
    this.onDisk.set(path, doc);
    return doc;
  }

  /**
   * Indexes the .mssm files `doc` imports, and theirs, that are not known yet; an import of
   * anything else is not read. A worklist, not recursion: a chain of thousands of imports must
   * not exhaust the stack.
   */
  private indexImports(doc: ParsedDoc): void {
    const work = importsOf(doc);
    while (work.length > 0) {
      const target = work.pop()!;
      if (!target.endsWith(MSSM) || this.onDisk.has(target) || this.open.text(target) !== undefined) continue;
      const read = this.readFromDisk(target);
      if (read) work.push(...importsOf(read));
    }
  }

  /** Indexes the .mssm files of a folder, and of the folders below it when `deep`. */
  private scan(dir: string, deep: boolean): void {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      // An unreadable folder only narrows what the index knows.
      return;
    }
    for (const e of entries) {
      if (e.isFile() && e.name.endsWith(MSSM)) this.indexFile(join(dir, e.name));
      else if (deep && e.isDirectory() && !skipFolder(e.name)) this.scan(join(dir, e.name), true);
    }
  }

  /** Indexes the folder beside a file outside the workspace, once. */
  private scanBeside(path: string): void {
    const dir = dirname(path);
    if (this.inWorkspace(path) || this.scanned.has(dir)) return;
    this.scanned.add(dir);
    this.scan(dir, false);
  }

  private inWorkspace(path: string): boolean {
    return this.roots.some((r) => path.startsWith(r.endsWith(sep) ? r : r + sep));
  }
}
