/**
 * Writing a few files into one folder on every host over the fan-out, with the push rules:
 * what `muster publish --via ssh` does with the local copy (/etc/muster: host.json, muster.sh,
 * inventory.json), MATRIX's SYNCALL of dsas.conf. ops/ may not import bindings, so the files
 * come ready-made per host from the caller.
 *
 * Per host, over one connection:
 * 1. **Compare** (one exec): the folder is created 0755 if missing (`mkdir -m`), then the
 *    sha256 and mode of every file are checked against what is to be written. All the same →
 *    `ok` "unchanged": nothing is written, and the `confirm` file (inventory.json) is touched,
 *    since its mtime is the copy's "last confirmed" (inventory/localCopy.ts). One exec.
 * 2. **Install** each file that differs, in the given order (inventory.json, which readers
 *    check, last), with push-remote.ts's install: per-file lock, write beside it, size check,
 *    atomic rename, the previous version dropped. Not held: each rename is final, as each
 *    atomic write of the agent is; a host stopped half-way holds the old or the new version of
 *    each file, never half of one, and a reader refuses an inventory.json of neither.
 * 3. A `confirm` file that was already the same while another changed is touched last.
 *
 * Round trips: unchanged 1 (the common case of a publish run again, by hand or from cron, to
 * keep the copies confirmed); a publish of a changed inventory 1 + 3 (host.json carries the
 * revision too, so it changes on every host); a new host 1 + 3.
 */
import { posix } from 'node:path';
import { deployData, type DeployData } from '../core/deploy.js';
import { defaultAbortGraceMs, type Job, type JobResult } from '../run/engine.js';
import type { ExecResult } from '../transport/types.js';
import { installPush, pushHandle, settlePush, type Settled } from './push-remote.js';
import { normalizeMode, sha256, shScript, type PushContent } from './push.js';

/** One file to write into the folder. */
export interface FolderFile {
  name: string;
  data: Buffer;
}

/** What to write where on each host. */
export interface FolderPublish {
  /** Absolute folder on the host (created 0755 when missing). */
  dir: string;
  /** The files for one host, in the order they are to be replaced. */
  filesFor(host: string): FolderFile[];
  /** Mode of every file, octal (`0644`). */
  mode: string;
  /** The file whose mtime says when the folder was last confirmed: touched when unchanged. */
  confirm?: string;
  sudo?: boolean;
}

const compareScript = `set -u
d=$1 confirm=$2 want=$3
shift 3
if [ ! -d "$d" ]; then
  if [ -e "$d" ] || [ -L "$d" ]; then echo other; exit 0; fi
  mkdir -p -m 0755 -- "$d" || exit 10
fi
cd -- "$d" || exit 10
got=$( { sha256sum -- "$@"; stat -L -c '%a %n' -- "$@"; } 2>/dev/null )
if [ "$got" = "$want" ]; then
  [ -z "$confirm" ] || touch -c -- "$confirm" || exit 11
  echo same
else
  echo differs
  printf '%s\\n' "$got"
fi`;

/** How long settling an install the stop interrupted may take: inside the engine's grace. */
const stoppedSettleMs = defaultAbortGraceMs - 1000;

/**
 * The job writing `publish.filesFor(host)` into `publish.dir` on each host. Outcomes: `ok`
 * "unchanged" (confirmed), `changed` naming the files written, `failed` naming what could not
 * be written and what was (every written file is final). Stopped (timeout, Ctrl-C) during an
 * install, the data's note says what each file holds ("… written; … left as it was"), which
 * the engine's "timed out after 250ms" would otherwise replace (report/deploy.ts says both).
 */
export function publishFilesJob(publish: FolderPublish): Job<DeployData> {
  const mode = normalizeMode(publish.mode);
  return async (session, { target, signal }) => {
    const files = publish.filesFor(target.name).map((file) => ({ ...file, sha256: sha256(file.data), path: posix.join(publish.dir, file.name) }));
    const stdout: string[] = [];
    const stderr: string[] = [];
    let exitCode: number | null = 0;
    const record = (result: ExecResult): void => {
      exitCode = result.exitCode;
      stdout.push(result.stdout.toString('utf8'));
      stderr.push(result.stderr.toString('utf8'));
    };
    const finish = (status: JobResult['status'], message: string): JobResult<DeployData> => ({ status, exitCode, stdout: stdout.join(''), stderr: stderr.join(''), message });

    const want = [...files.map((file) => `${file.sha256}  ${file.name}`), ...files.map((file) => `${mode} ${file.name}`)].join('\n');
    const compared = await session.exec(shScript(compareScript, [publish.dir, publish.confirm ?? '', want, ...files.map((file) => file.name)]), { signal, sudo: publish.sudo ?? false });
    const [answer = '', ...lines] = compared.stdout.toString('utf8').split('\n');
    if (compared.exitCode !== 0) {
      record(compared);
      return finish('failed', `cannot ${compared.exitCode === 11 ? 'touch' : 'create or enter'} ${publish.dir}: ${lastLine(compared)}`);
    }
    if (answer === 'other') return finish('failed', `${publish.dir} is not a folder`);
    if (answer === 'same') return finish('ok', 'unchanged');
    if (answer !== 'differs') {
      record(compared);
      return finish('failed', `cannot read ${publish.dir}: unexpected answer ${JSON.stringify(answer)}`);
    }
    const there = new Set(lines);
    const changed = files.filter((file) => !there.has(`${file.sha256}  ${file.name}`) || !there.has(`${mode} ${file.name}`));

    const written: string[] = [];
    for (const file of changed) {
      const content: PushContent = { kind: 'file', data: file.data, sha256: file.sha256 };
      const where = { dest: file.path, mode: publish.mode, sudo: publish.sudo ?? false };
      const handle = pushHandle('file', content, where, { hold: false, keep: '', then: [] });
      let installed;
      try {
        installed = await installPush(session, handle, where, content, signal);
      } catch (error) {
        // Stopped (or the connection lost) mid-install: find out which version the file holds.
        exitCode = null;
        const after = await settlePush(session, handle, 'auto', stoppedSettleMs);
        // The last file in place before the stop: the host went through the whole publish.
        if (after.landed === 'new' && file === changed.at(-1)) return finish('changed', `changed ${[...written, file.path].join(', ')} (final before it was stopped)`);
        const untouched = changed.slice(changed.indexOf(file) + 1).map((later) => later.path);
        return { ...finish('failed', signal.aborted ? 'stopped' : errorText(error)), data: deployData(undefined, settledNote(after, file.path, written, untouched)) };
      }
      if ('message' in installed) {
        if (installed.result) record(installed.result);
        return finish('failed', `${installed.message}${wrote(written)}`);
      }
      if (installed.kind === 'other') return finish('failed', `${file.path} is ${installed.what}${wrote(written)}`);
      if (installed.kind === 'changed' && !installed.clean) return finish('failed', `could not remove the previous version kept for ${file.path}${wrote(written)}`);
      // `same`: written meanwhile by someone else (the agent) with the same bytes.
      if (installed.kind === 'changed') written.push(file.path);
    }
    const confirm = publish.confirm;
    if (confirm !== undefined && !changed.some((file) => file.name === confirm)) {
      const touched = await session.exec(shScript('touch -c -- "$1"', [posix.join(publish.dir, confirm)]), { signal, sudo: publish.sudo ?? false });
      if (touched.exitCode !== 0) {
        record(touched);
        return finish('failed', `cannot touch ${posix.join(publish.dir, confirm)}${wrote(written)}`);
      }
    }
    return written.length > 0 ? finish('changed', `changed ${written.join(', ')}`) : finish('ok', 'unchanged');
  };
}

/** What each file holds after an install was stopped, in words, once `settle auto` (bounded, never cut by the stop) found out. */
function settledNote(after: Settled, dest: string, written: readonly string[], untouched: readonly string[]): string {
  const isNew = after.landed === 'new' ? [...written, dest] : written;
  const isOld = after.landed === 'old' ? [dest, ...untouched] : untouched;
  return [
    isNew.length > 0 ? `${isNew.join(', ')} written` : '',
    isOld.length > 0 ? `${isOld.join(', ')} left as ${isOld.length === 1 ? 'it was' : 'they were'}` : '',
    after.landed === 'unknown' ? `cleanup did not finish for ${dest} (${after.why}): .NAME.muster-* files may remain beside it` : '',
  ].filter((part) => part !== '').join('; ');
}

function wrote(written: readonly string[]): string {
  return written.length > 0 ? ` (${written.join(', ')} written)` : '';
}

function lastLine(result: ExecResult): string {
  return result.stderr.toString('utf8').trim().split('\n').pop() || `exit code ${String(result.exitCode)}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
