/**
 * The local journal of every run, push, apply and diff: who, when, what command,
 * which selector, and each host's outcome with its output (capped), in SQLite at
 * `${MUSTER_STATE_DIR:-~/.local/state/muster}/history.db`. Identical outputs are
 * stored once (10,000 hosts answering the same text cost one copy). Journaling
 * never fails the operation it records: problems become one warning line.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { deployData, rollbackOf, type DeployData, type Rollback } from '../core/deploy.js';
import { EnvironmentError, NotFoundError, UsageError } from '../core/errors.js';
import type { Outcome, Status } from '../run/outcome.js';
import { userName } from '../core/whoami.js';

/** One operation to record. */
export interface JournalEntry {
  /** The command: `run`, `push`, `apply`, `diff`, `fetch`. */
  command: string;
  /** The full command line after `muster` (as typed). */
  argv: string[];
  /** The selector(s), as given. */
  selector: string;
  outcomes: Outcome[];
  startedAt: Date;
  durationMs: number;
  exitCode: number;
  /** The summary line shown, e.g. `100 hosts: 97 ok, 2 failed, 1 unreachable in 3.2s`. */
  summary?: string;
}

/** A journaled operation, as listed. */
export interface HistoryRun {
  id: number;
  startedAt: string;
  durationMs: number;
  /** Login name; `root (sudo alice)` when run through sudo. */
  user: string;
  /** The machine muster ran on. */
  machine: string;
  command: string;
  argv: string[];
  selector: string;
  summary: string;
  exitCode: number;
  hosts: number;
  counts: Partial<Record<Status, number>>;
}

/** A journaled operation with every host's outcome; of an outcome's `data`, the journal keeps a deploy's rollback. */
export interface HistoryDetail extends HistoryRun {
  outcomes: Outcome<DeployData>[];
}

export interface HistoryOptions {
  /** Overrides the state folder (default `$MUSTER_STATE_DIR`, else `~/.local/state/muster`). */
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** Cap on each of a host's stdout and stderr kept in the journal. */
export const journalOutputCap = 64 * 1024;

/** The path of the history database. */
export function historyPath(options: HistoryOptions = {}): string {
  const env = options.env ?? process.env;
  const dir = options.stateDir ?? env['MUSTER_STATE_DIR'] ?? join(env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state'), 'muster');
  return join(dir, 'history.db');
}

function openDb(options: HistoryOptions, create: boolean): Database.Database | undefined {
  const path = historyPath(options);
  if (create) {
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    // The journal holds command lines and outputs (secrets, often): owner-only, even in a
    // shared $MUSTER_STATE_DIR. SQLite gives its -wal and -shm files the database's mode.
    closeSync(openSync(path, 'a', 0o600));
  }
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: !create, timeout: 5000 });
  } catch (error) {
    if (!create && /unable to open|does not exist/i.test((error as Error).message)) return undefined;
    throw error;
  }
  try {
    prepare(db);
  } catch (error) {
    db.close();
    // Not a database (a stray file), or one another program made: say which file, no stack.
    throw new EnvironmentError(`Cannot use the history ${path}: ${(error as Error).message}`, { cause: error });
  }
  return db;
}

/** WAL mode, foreign keys, and the tables (made on first use). */
function prepare(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  if ((db.pragma('user_version', { simple: true }) as number) < 1) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL, duration_ms INTEGER NOT NULL,
        user TEXT NOT NULL, machine TEXT NOT NULL,
        command TEXT NOT NULL, argv TEXT NOT NULL, selector TEXT NOT NULL,
        summary TEXT NOT NULL, exit_code INTEGER NOT NULL, hosts INTEGER NOT NULL, counts TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS texts (id INTEGER PRIMARY KEY, sha TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS outcomes (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
        host TEXT NOT NULL, status TEXT NOT NULL, exit_code INTEGER,
        stdout_id INTEGER NOT NULL REFERENCES texts(id), stderr_id INTEGER NOT NULL REFERENCES texts(id),
        truncated TEXT, duration_ms INTEGER NOT NULL, message TEXT, rollback TEXT,
        PRIMARY KEY (run_id, seq));
      PRAGMA user_version = 1;`);
  }
}

function who(env: NodeJS.ProcessEnv): string {
  const name = userName(env);
  const sudoUser = env['SUDO_USER'];
  return sudoUser && sudoUser !== name ? `${name} (sudo ${sudoUser})` : name;
}

function capText(text: string): { text: string; cut: number } {
  const bytes = Buffer.byteLength(text);
  if (bytes <= journalOutputCap) return { text, cut: 0 };
  return { text: Buffer.from(text).subarray(0, journalOutputCap).toString('utf8'), cut: bytes - journalOutputCap };
}

/**
 * Records one operation; returns its id. Never throws: a journal that cannot be
 * written (read-only home, full disk, a locked database) is reported through
 * `onWarning` (default: one line on stderr) and the operation carries on.
 */
export function journal(entry: JournalEntry, options: HistoryOptions & { onWarning?: (message: string) => void } = {}): number | undefined {
  const warn = options.onWarning ?? ((message: string) => process.stderr.write(`muster: warning: ${message}\n`));
  let db: Database.Database | undefined;
  try {
    db = openDb(options, true);
    if (!db) return undefined;
    const counts: Partial<Record<Status, number>> = {};
    for (const outcome of entry.outcomes) counts[outcome.status] = (counts[outcome.status] ?? 0) + 1;
    const insertRun = db.prepare(`INSERT INTO runs (started_at, duration_ms, user, machine, command, argv, selector, summary, exit_code, hosts, counts)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insertText = db.prepare('INSERT OR IGNORE INTO texts (sha, body) VALUES (?, ?)');
    const textId = db.prepare('SELECT id FROM texts WHERE sha = ?').pluck();
    const insertOutcome = db.prepare(`INSERT INTO outcomes (run_id, seq, host, status, exit_code, stdout_id, stderr_id, truncated, duration_ms, message, rollback)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    // Most hosts print the same (often nothing): each distinct text is hashed and looked up once per run.
    const stored = new Map<string, number>();
    const store = (body: string): number => {
      let id = stored.get(body);
      if (id === undefined) {
        const sha = createHash('sha256').update(body).digest('hex');
        insertText.run(sha, body);
        id = textId.get(sha) as number;
        stored.set(body, id);
      }
      return id;
    };
    const env = options.env ?? process.env;
    const write = db.transaction(() => {
      const run = insertRun.run(
        entry.startedAt.toISOString(), Math.round(entry.durationMs), who(env), hostname(), entry.command, JSON.stringify(entry.argv),
        entry.selector, entry.summary ?? '', entry.exitCode, entry.outcomes.length, JSON.stringify(counts),
      );
      const id = Number(run.lastInsertRowid);
      entry.outcomes.forEach((outcome, seq) => {
        const out = capText(outcome.stdout);
        const err = capText(outcome.stderr);
        const cut = out.cut + err.cut > 0 ? `journal kept ${journalOutputCap} bytes of each stream (${out.cut + err.cut} bytes cut)` : undefined;
        const truncated = [outcome.truncated, cut].filter(Boolean).join('; ') || null;
        insertOutcome.run(id, seq, outcome.host, outcome.status, outcome.exitCode, store(out.text), store(err.text), truncated,
          Math.round(outcome.durationMs), outcome.message ?? null, rollbackOf(outcome.data) ?? null);
      });
      return id;
    });
    return write();
  } catch (error) {
    warn(`could not record this run in the history (${historyPath(options)}): ${(error as Error).message}`);
    return undefined;
  } finally {
    db?.close();
  }
}

interface RunRow {
  id: number; started_at: string; duration_ms: number; user: string; machine: string; command: string; argv: string;
  selector: string; summary: string; exit_code: number; hosts: number; counts: string;
}

function toRun(row: RunRow): HistoryRun {
  return {
    id: row.id, startedAt: row.started_at, durationMs: row.duration_ms, user: row.user, machine: row.machine, command: row.command,
    argv: JSON.parse(row.argv) as string[], selector: row.selector, summary: row.summary, exitCode: row.exit_code, hosts: row.hosts,
    counts: JSON.parse(row.counts) as Partial<Record<Status, number>>,
  };
}

/** The journaled operations, newest first (at most `limit`, default 50). */
export function listHistory(options: HistoryOptions & { limit?: number; command?: string } = {}): HistoryRun[] {
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`Invalid limit ${limit}: give a whole number of at least 1`);
  const db = openDb(options, false);
  if (!db) return [];
  try {
    const rows = options.command === undefined
      ? db.prepare('SELECT * FROM runs ORDER BY id DESC LIMIT ?').all(limit)
      : db.prepare('SELECT * FROM runs WHERE command = ? ORDER BY id DESC LIMIT ?').all(options.command, limit);
    return (rows as RunRow[]).map(toRun);
  } finally {
    db.close();
  }
}

/** One journaled operation with every host's outcome. Throws NotFoundError for an unknown id. */
export function getHistory(id: number, options: HistoryOptions = {}): HistoryDetail {
  const db = openDb(options, false);
  if (!db) throw new NotFoundError('history entry', String(id), `the history is empty (${historyPath(options)})`);
  try {
    const row = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    if (!row) throw new NotFoundError('history entry', String(id), 'see `muster history` for the ids');
    const rows = db.prepare(`SELECT o.*, so.body AS stdout, se.body AS stderr FROM outcomes o
      JOIN texts so ON so.id = o.stdout_id JOIN texts se ON se.id = o.stderr_id WHERE o.run_id = ? ORDER BY o.seq`).all(id) as {
      host: string; status: Status; exit_code: number | null; stdout: string; stderr: string; truncated: string | null;
      duration_ms: number; message: string | null; rollback: Rollback | null;
    }[];
    const outcomes = rows.map((o): Outcome<DeployData> => {
      const outcome: Outcome<DeployData> = { host: o.host, status: o.status, exitCode: o.exit_code, stdout: o.stdout, stderr: o.stderr, durationMs: o.duration_ms };
      if (o.truncated !== null) outcome.truncated = o.truncated;
      if (o.message !== null) outcome.message = o.message;
      if (o.rollback !== null) outcome.data = deployData(o.rollback);
      return outcome;
    });
    return { ...toRun(row), outcomes };
  } finally {
    db.close();
  }
}

/** The hosts of one journaled operation whose status is one of `statuses`, and which operation that was. */
export interface HostsOfRun {
  id: number;
  command: string;
  hosts: string[];
}

/**
 * The hosts of run `id` (or of the newest run, `'last'`) that ended with one of `statuses`,
 * in the order the run had them. Reads the outcomes table only (no output bodies), so it
 * stays cheap for a 10,000-host run. Throws NotFoundError for an unknown id or an empty history.
 */
export function hostsOfRun(id: number | 'last', statuses: ReadonlySet<Status>, options: HistoryOptions = {}): HostsOfRun {
  const db = openDb(options, false);
  if (!db) throw new NotFoundError('history entry', String(id), `the history is empty (${historyPath(options)})`);
  try {
    const row = (id === 'last'
      ? db.prepare('SELECT id, command FROM runs ORDER BY id DESC LIMIT 1').get()
      : db.prepare('SELECT id, command FROM runs WHERE id = ?').get(id)) as { id: number; command: string } | undefined;
    if (!row) throw new NotFoundError('history entry', String(id), id === 'last' ? `the history is empty (${historyPath(options)})` : 'see `muster history` for the ids');
    const rows = db.prepare('SELECT host, status FROM outcomes WHERE run_id = ? ORDER BY seq').all(row.id) as { host: string; status: Status }[];
    return { id: row.id, command: row.command, hosts: rows.filter((outcome) => statuses.has(outcome.status)).map((outcome) => outcome.host) };
  } finally {
    db.close();
  }
}
