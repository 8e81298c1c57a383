/**
 * The host side of a push: one shell script with three roles, so that compare,
 * write, verify, rename and lock cost one exec, and whatever stops it leaves
 * either the old DEST or the new one, never a half-written temporary.
 *
 * - `install` takes the per-DEST lock (`flock` on `.NAME.muster-lock` beside DEST),
 *   compares (files), writes stdin to `.NAME.muster-ID`, verifies its size,
 *   keeps the previous version as `.NAME.muster-prev-ID` (or marks that there was
 *   none, `.NAME.muster-none-ID`), renames into place and answers in one line.
 *   Without `hold` the rename is the commit: the previous version is not kept (but
 *   as the `--backup`, in the same exec). With `hold` (tests or later steps may
 *   still roll it back) the lock outlives the exec: a `hold` child in a session of
 *   its own keeps it until `settle`, and puts the previous version back by itself
 *   if the connection goes away first.
 * - `settle` commits, undoes, or (`auto`, after an interrupted fast install) finds
 *   out which: the push's names are derived from its ID, so a later exec can clean
 *   up after one that was killed.
 * - A TERM/HUP/INT/PIPE (the engine kills an aborted exec's process group) runs the
 *   same undo or commit in the trap, so a killed install leaves no temporary.
 *
 * The lock file is removed by its holder while held; a waiter that got the removed
 * file sees that its inode is no longer the path's and locks again. Every path and
 * argument is a positional parameter, quoted by `shellQuote`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { shellJoin, shellQuote } from '../core/shell.js';
import type { ExecResult, Session } from '../transport/types.js';
import { normalizeMode, type PushContent, type PushTarget, type StepFailure } from './push.js';

/**
 * Files larger than this are compared in an exec of their own before they are sent:
 * an unchanged file then costs no transfer. Smaller ones are sent with the compare
 * (at most about one OpenSSH channel window, 2 MiB, crosses when unchanged), saving
 * the round trip.
 */
export const compareFirstBytes = 2 * 1024 * 1024;

/** How long an install waits for another push of the same DEST to let go of it. */
export const lockWaitSeconds = 60;

const script = `set -u
role=$1 kind=$2 d=$3 dir=$4 base=$5 id=$6
shift 6
pre=$dir/.$base.muster
t=$pre-$id p=$pre-prev-$id n=$pre-none-$id h=$pre-hold-$id m=$pre-then lk=$pre-lock
there() { [ -e "$1" ] || [ -L "$1" ]; }
# Whether DEST holds the new content: BLAKE2b where coreutils has b2sum (8.26+), three times the
# speed of its sha256sum on this kind of machine; SHA-256 on older hosts.
holds() {
  if command -v b2sum >/dev/null 2>&1; then s=$(b2sum < "$d") && [ "\${s%% *}" = "$b2" ]
  else s=$(sha256sum < "$d") && [ "\${s%% *}" = "$sum" ]; fi
}
locked=
lock() {
  command -v flock >/dev/null 2>&1 || { echo "the host has no flock (util-linux)" >&2; return 13; }
  tries=0
  while [ $tries -lt 50 ]; do
    tries=$((tries+1))
    { command exec 9>>"$lk"; } 2>/dev/null || { echo "cannot create a temporary file in $dir" >&2; return 10; }
    flock -w "$1" 9 || { echo "another push of $d held it for over $1s" >&2; return 12; }
    # The holder removes the lock file while holding it: this lock must be on the file still at
    # the path (test's -ef, a builtin: no process; without /proc there is nothing to check).
    if [ ! -e /proc/self/fd/9 ] || [ /proc/self/fd/9 -ef "$lk" ]; then locked=1; return 0; fi
  done
  echo "cannot lock $lk" >&2; return 12
}
unlock() { [ -z "$locked" ] || rm -f -- "$lk"; locked=; }
# The holder leads a session of its own: its group is it and its sleep.
# A holder that already saw its hold file go and exited is not a failure: the settle's answer stands.
release() { rm -f -- "$h"; [ -z "$1" ] || kill -TERM "-$1" 2>/dev/null || kill "$1" 2>/dev/null || true; }
# Puts the previous version back, whichever step the install reached. A file's previous
# version is a hard link of DEST until the rename; a tree's is moved aside just before it.
undo() {
  if there "$t"; then
    rm -rf -- "$t"
    if there "$p"; then
      if [ "$kind" = dir ] && ! there "$d"; then mv -T -- "$p" "$d"; else rm -rf -- "$p"; fi
    fi
    rm -f -- "$n"; echo old
  elif there "$p"; then
    [ "$kind" = file ] || rm -rf -- "$d"
    if mv -fT -- "$p" "$d"; then echo restored; else echo stuck; fi
  elif [ -e "$n" ]; then
    if rm -rf -- "$d" && rm -f -- "$n"; then echo removed; else echo stuck; fi
  else
    echo old
  fi
}
# $1: where to keep the previous version ('' drops it); $2: --then commands now pending;
# $3: one more file to remove with the rest (the lock file, to spare a process).
commit() {
  ok=0
  [ -z "$2" ] || printf '%s\\n' "$2" > "$m" || ok=1
  if [ -n "$1" ]; then
    if there "$p"; then { [ "$kind" = file ] || rm -rf -- "$1"; } && mv -fT -- "$p" "$1" || ok=1; fi
    rm -f -- "$n" \${3:+"$3"} || ok=1
  else rm -rf -- "$p" "$n" \${3:+"$3"} || ok=1; fi
  return $ok
}
# The sshd serving this connection: the holder lives as long as it does.
sshd_pid() {
  q=$$
  while [ "$q" -gt 1 ]; do
    case $(cat "/proc/$q/comm" 2>/dev/null) in sshd*) echo "$q"; return;; esac
    q=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$q/status" 2>/dev/null)
    [ -n "$q" ] || break
  done
  echo 1
}
case $role in
hold)
  w=$1 lease=$2 i=0
  while there "$h" && kill -0 "$w" 2>/dev/null && { [ "$lease" = 0 ] || [ $i -lt "$lease" ]; }; do
    sleep 1 9>&-; i=$((i+1))
  done
  if there "$h"; then undo >/dev/null; rm -f -- "$h" "$lk"; fi
  ;;
settle)
  action=$1 keep=$2 then=$3 sum=$4 b2=$5 mine=
  if there "$h"; then mine=1; else lock 3 || exit $?; fi
  case $action in
  commit) if commit "$keep" "$then"; then echo new; else echo new-unclean; fi ;;
  undo) undo ;;
  auto)
    if there "$t"; then undo
    elif there "$p" || [ -e "$n" ]; then if commit "$keep" "$then"; then echo new; else echo new-unclean; fi
    elif [ "$kind" = file ] && [ -f "$d" ] && holds; then echo new
    else echo old; fi ;;
  esac
  if [ -n "$mine" ]; then
    hp=$(cat -- "$h" 2>/dev/null); rm -f -- "$lk"; release "$hp"
  else unlock; fi
  ;;
install)
  sum=$1 b2=$2 size=$3 mode=$4 owner=$5 hold=$6 wait=$7 keep=$8 then=$9
  stage=start holder= dmode=
  stopped() {
    trap '' HUP INT TERM PIPE
    if [ $stage = renamed ] && [ "$hold" = 0 ]; then commit "$keep" "$then"; elif [ $stage != start ]; then undo >/dev/null; fi
    [ -z "$holder" ] || release "$holder"
    unlock; exit 143
  }
  fail() { trap '' HUP INT TERM PIPE; undo >/dev/null; [ -z "$holder" ] || release "$holder"; unlock; echo "$1" >&2; exit 11; }
  answer() { unlock; echo "$1"; exit 0; }
  trap stopped HUP INT TERM PIPE
  lock "$wait" || exit $?
  stage=locked
  if [ "$kind" = file ]; then
    if [ -d "$d" ]; then answer 'other a directory'; fi
    if [ ! -e "$d" ] && [ -L "$d" ]; then answer 'other a dangling symlink'; fi
    if [ -e "$d" ] && [ ! -f "$d" ]; then answer 'other not a regular file'; fi
    if [ -f "$d" ]; then
      st=$(stat -L -c '%s %a %U:%G' -- "$d") || fail "cannot read $d"
      set -- $st
      dmode=$2
      # A file of another size differs: no pass over it to hash it.
      if [ "$1" = "$size" ] && { [ -z "$mode" ] || [ "$2" = "$mode" ]; } && { [ -z "$owner" ] || case $owner in *:*) [ "$3" = "$owner" ];; *) [ "\${3%%:*}" = "$owner" ];; esac; } &&
        holds; then
        if [ -f "$m" ]; then unlock; echo same-pending; cat -- "$m"; exit 0; fi
        answer same
      fi
    fi
    [ "$hold" != compare ] || answer differs
  fi
  if [ "$hold" = 1 ]; then
    touch -- "$h" || fail "cannot create a temporary file in $dir"
    # Without an sshd to outlive (a local run), an hour bounds a lock nobody settles.
    w=$(sshd_pid) lease=0
    [ "$w" != 1 ] || lease=3600
    setsid sh -c "$MUSTER_PUSH" sh hold "$kind" "$d" "$dir" "$base" "$id" "$w" "$lease" </dev/null >/dev/null 2>&1 &
    holder=$!
    echo "$holder" > "$h"
  fi
  stage=writing
  if [ "$kind" = file ]; then
    # Created by the shell (no clobbering): 0666 less the umask, the mode of a new DEST.
    set -C; command : 2>/dev/null > "$t" || fail "cannot create a temporary file in $dir"; set +C
    # dd counts what it wrote: a write error fails it, and a stream cut short (a lost connection
    # ends stdin early) leaves a count that is not the content's size. The bytes themselves are
    # guarded by the channel (SSH's MAC, TLS over agents): no read-back hash, which cost a process
    # and a pass over the file per host.
    got=$(LC_ALL=C dd bs=65536 2>&1 >"$t") || fail "cannot write $t (disk full?)"
    case "
$got" in *"
$size byte"*) ;; *) fail "the written file is not $size bytes long (disk full, or the stream was cut)" ;; esac
    if [ -e "$d" ]; then
      # DEST's mode, unless it is the one the shell just gave the temporary (0666 less the umask;
      # most files): a chmod only when it differs.
      [ -n "$dmode" ] && [ "$dmode" = "$(printf %o $((0666 & ~0$(umask))))" ] || chmod --reference="$d" -- "$t" 2>/dev/null || true
      # Owned by whoever writes unless told: a chown only when DEST belongs to someone else.
      [ -O "$d" ] && [ -G "$d" ] || chown --reference="$d" -- "$t" 2>/dev/null || true
    fi
    [ -z "$mode" ] || chmod -- "$mode" "$t" || fail "cannot set mode $mode"
    [ -z "$owner" ] || chown -- "$owner" "$t" || fail "cannot set owner $owner"
    if [ ! -e "$d" ]; then command : 2>/dev/null > "$n" || fail "cannot create a temporary file in $dir"
    # Kept only for what may still want it (a hold's rollback, --backup): without either the
    # rename is the commit, and a killed install is told apart by DEST's checksum (settle auto).
    elif [ "$hold" = 1 ] || [ -n "$keep" ]; then
      ln -f -- "$d" "$p" 2>/dev/null || cp -pf -- "$d" "$p" || fail "cannot keep the previous $d"
    fi
    mv -fT -- "$t" "$d" || fail "cannot rename into place"
  else
    mkdir -- "$t" 2>/dev/null || fail "cannot create a temporary directory in $dir"
    tar -xpf - --no-same-owner -C "$t" || fail "cannot unpack into $t (disk full?)"
    [ -z "$mode" ] || find "$t" -type f -exec chmod -- "$mode" {} + || fail "cannot set mode $mode"
    [ -z "$owner" ] || chown -R -- "$owner" "$t" || fail "cannot set owner $owner"
    if there "$d"; then mv -T -- "$d" "$p" || fail "cannot move the previous $d aside"
    else touch -- "$n" || fail "cannot create a temporary file in $dir"; fi
    mv -T -- "$t" "$d" || fail "cannot rename into place"
  fi
  stage=renamed
  if [ "$hold" = 1 ]; then echo installed; exit 0; fi
  # The rename was the commit; the lock file goes with the previous version.
  if commit "$keep" "$then" "$lk"; then locked=; answer changed; fi
  answer changed-unclean
  ;;
esac`;
/** The script as one shell word, quoted once: every install and settle sends it. */
const scriptWord = shellQuote(script);

/** One push of one DEST on one host: the names its remote files are derived from. */
export interface PushHandle {
  kind: 'file' | 'dir';
  dest: string;
  /** Random, per host and push: names `.NAME.muster-ID` and its siblings. */
  id: string;
  sudo: boolean;
  /** The checksums of the new file (SHA-256, BLAKE2b-512), compared with DEST's on the host. */
  sha256: string;
  blake2b: string;
  /** Whether the lock is held past the install (a test or a later step may roll it back). */
  hold: boolean;
  /** Where `--backup` keeps the previous version ('' for none). */
  keep: string;
  /** The `--then` commands recorded as pending when the push is committed ('' for none). */
  then: string;
}

/** What an install found or did: unchanged (maybe with a `--then` still pending), refused, in place. */
export type InstallAnswer =
  | { kind: 'same'; pendingThen: string | undefined }
  | { kind: 'other'; what: string }
  | { kind: 'changed'; clean: boolean }
  | { kind: 'installed' }
  /** `compareOnly`: DEST differs, nothing was written. */
  | { kind: 'differs' };

/** What a settle left: the new version (`clean` false: the previous one could not be dropped) or the old one. */
export type Settled =
  | { landed: 'new'; clean: boolean }
  | { landed: 'old'; undone: boolean }
  | { landed: 'unknown'; why: string };

/** Once per content, not per host. */
const blake2bs = new WeakMap<Buffer, string>();
function blake2bOf(data: Buffer): string {
  let digest = blake2bs.get(data);
  if (digest === undefined) blake2bs.set(data, (digest = createHash('blake2b512').update(data).digest('hex')));
  return digest;
}

/** A new push handle for `dest`: a fresh ID, and what committing it will record. */
export function pushHandle(kind: 'file' | 'dir', content: PushContent, target: PushTarget, options: { hold: boolean; keep: string; then: readonly string[] }): PushHandle {
  return {
    kind,
    dest: target.dest,
    id: randomBytes(6).toString('hex'),
    sudo: target.sudo ?? false,
    sha256: content.kind === 'file' ? content.sha256 : '',
    blake2b: content.kind === 'file' ? blake2bOf(content.data) : '',
    hold: options.hold,
    keep: options.keep,
    then: options.then.join('\n'),
  };
}

/** The pending-`--then` marker of DEST: removed by the last `--then` when it succeeds. */
export function thenMarker(dest: string): string {
  return `${posix.dirname(dest)}/.${posix.basename(dest)}.muster-then`;
}

function command(role: 'install' | 'settle', handle: PushHandle, args: readonly string[]): string {
  const fixed = [role, handle.kind, handle.dest, posix.dirname(handle.dest), posix.basename(handle.dest), handle.id];
  // The script is in the environment too, so the install can start its holder from the same text.
  // `exec`: the login shell becomes the script's shell (same PID, so the same process group), one fork fewer.
  return `MUSTER_PUSH=${scriptWord}; export MUSTER_PUSH; exec sh -c "$MUSTER_PUSH" sh ${shellJoin([...fixed, ...args])}`;
}

/**
 * Runs the install: one exec that locks, compares (a file), writes, verifies and
 * renames; with `compareOnly`, one that only compares (`same` or `differs`). Rejects like `session.exec` (an abort, a lost connection): the caller
 * then settles with `auto` or `undo`, which finds what the killed exec left.
 */
export async function installPush(session: Session, handle: PushHandle, target: PushTarget, content: PushContent, signal: AbortSignal, options: { compareOnly?: boolean } = {}): Promise<InstallAnswer | StepFailure> {
  const mode = target.mode === undefined ? '' : normalizeMode(target.mode);
  const how = options.compareOnly ? 'compare' : handle.hold ? '1' : '0';
  const size = content.kind === 'file' ? content.data.length : content.tar.length;
  const args = [handle.sha256, handle.blake2b, String(size), mode, target.owner ?? '', how, String(lockWaitSeconds), handle.keep, handle.then];
  const stdin = options.compareOnly ? undefined : content.kind === 'file' ? content.data : content.tar;
  const result = await session.exec(command('install', handle, args), { ...(stdin ? { stdin } : {}), signal, sudo: handle.sudo });
  const text = result.stdout.toString('utf8');
  const [first = '', ...rest] = text.split('\n');
  if (result.exitCode !== 0) return { message: `cannot install ${handle.dest}: ${lastLine(result)}`, result };
  if (first === 'same') return { kind: 'same', pendingThen: undefined };
  if (first === 'same-pending') return { kind: 'same', pendingThen: rest.join('\n').trim() };
  if (first.startsWith('other ')) return { kind: 'other', what: first.slice(6) };
  if (first === 'changed' || first === 'changed-unclean') return { kind: 'changed', clean: first === 'changed' };
  if (first === 'installed') return { kind: 'installed' };
  if (first === 'differs') return { kind: 'differs' };
  return { message: `cannot install ${handle.dest}: unexpected answer ${JSON.stringify(first)}`, result };
}

/**
 * Commits, undoes or (`auto`) finds out what an interrupted install left, and lets
 * go of the lock. Never rejects: `deadlineMs` bounds it, and a settle that could not
 * finish says so (`unknown`) rather than guessing.
 */
export async function settlePush(session: Session, handle: PushHandle, action: 'commit' | 'undo' | 'auto', deadlineMs: number): Promise<Settled> {
  let result: ExecResult;
  try {
    result = await session.exec(command('settle', handle, [action, handle.keep, handle.then, handle.sha256, handle.blake2b]), { signal: AbortSignal.timeout(Math.max(Math.round(deadlineMs), 1)), sudo: handle.sudo });
  } catch (error) {
    return { landed: 'unknown', why: error instanceof Error ? error.message : String(error) };
  }
  const answer = result.stdout.toString('utf8').split('\n', 1)[0] ?? '';
  if (result.exitCode !== 0) return { landed: 'unknown', why: lastLine(result) };
  switch (answer) {
    case 'new':
    case 'new-unclean':
      return { landed: 'new', clean: answer === 'new' };
    case 'old':
      return { landed: 'old', undone: false };
    case 'restored':
    case 'removed':
      return { landed: 'old', undone: true };
    default:
      return { landed: 'unknown', why: `unexpected answer ${JSON.stringify(answer)}` };
  }
}

function lastLine(result: ExecResult): string {
  return result.stderr.toString('utf8').trim().split('\n').pop() || `exit code ${String(result.exitCode)}`;
}
