/**
 * Watching the inventory for edits. Folders are watched, not files: editors
 * that save by writing a new file and renaming it over the old one (vim, most
 * IDEs, `sed -i`, git checkout) replace the inode a file watch would be stuck
 * on. Events are debounced, since one save is several events.
 */
import { watch, type FSWatcher } from 'node:fs';

/** Options of `watchFolders`. */
export interface WatchOptions {
  /** Quiet time after the last event before `onChange` runs (default 100 ms). */
  debounceMs?: number;
  /** Watch the folders' subfolders too (a folder inventory). */
  recursive?: boolean;
  /** Called when a folder cannot be watched (it vanished): the others keep working. */
  onError?: (error: Error) => void;
  signal?: AbortSignal;
}

/** Calls `onChange` (debounced) after anything changes in `folders`. Returns a function that stops watching. */
export function watchFolders(folders: string[], onChange: () => void, options: WatchOptions = {}): () => void {
  const debounceMs = options.debounceMs ?? 100;
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  const fire = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
  };
  const stop = (): void => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
    watchers.length = 0;
    options.signal?.removeEventListener('abort', stop);
  };
  for (const folder of new Set(folders)) {
    try {
      const watcher = watch(folder, { persistent: false, recursive: options.recursive ?? false }, fire);
      watcher.on('error', (error) => options.onError?.(error));
      watchers.push(watcher);
    } catch (error) {
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
    }
  }
  options.signal?.addEventListener('abort', stop, { once: true });
  return stop;
}
