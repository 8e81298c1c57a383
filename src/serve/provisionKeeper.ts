/**
 * `muster serve --provision-dir DIR`: the network-boot tree kept as `muster provision sync`
 * writes it, from the inventory serve holds — once at start, then after every reload. Without
 * it, a host whose installer called back (`POST /v1/provision/HOST/installed`: netboot false)
 * keeps its PXE files until someone runs the sync, and its next network boot starts the
 * installer again (which then finds no answer file and stops); Cobbler's `pxe_just_once` is the
 * same idea. One sync at a time: inventories that arrive during a sync are folded into one
 * more sync, of the latest. A sync that fails (an invalid provisioning, a full disk) is logged
 * and leaves DIR as it was; serve goes on answering.
 */
import type { Inventory } from '../inventory/index.js';
import { syncProvision, type ProvisionSyncOptions } from '../provision/index.js';
import type { AccessLog } from './accessLog.js';

/** Where and how serve keeps the tree (as `muster provision sync -o DIR --url --pid-file [--token-file]`). */
export type ProvisionKeeping = Pick<ProvisionSyncOptions, 'dir' | 'url' | 'pidFile' | 'bootFiles' | 'keys'>;

export class ProvisionKeeper {
  readonly #options: ProvisionKeeping;
  readonly #log: AccessLog | undefined;
  #next: { inventory: Inventory; index: number } | undefined;
  #running: Promise<void> | undefined;

  constructor(options: ProvisionKeeping, log: AccessLog | undefined) {
    this.#options = options;
    this.#log = log;
  }

  /** Syncs DIR to `inventory` (version `index`), after the sync under way if there is one. */
  changed(inventory: Inventory, index: number): void {
    this.#next = { inventory, index };
    this.#running ??= this.#drain();
  }

  /** Settles once no sync is under way (serve's close waits for it: DIR is never left mid-rename). */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  async #drain(): Promise<void> {
    for (let next = this.#next; next !== undefined; next = this.#next) {
      this.#next = undefined;
      try {
        const report = await syncProvision(next.inventory, this.#options);
        const { created, changed, removed } = report;
        if (created.length + changed.length + removed.length > 0 || report.dnsmasq !== 'none') {
          this.#log?.note('provision: synced', { index: next.index, dir: this.#options.dir, created: created.length, changed: changed.length, removed: removed.length, dnsmasq: report.dnsmasq });
        }
      } catch (error) {
        this.#log?.note('provision: sync failed, the tree is as it was', { index: next.index, dir: this.#options.dir, error: error instanceof Error ? error.message.split('\n').slice(0, 4).map((line) => line.trim()).join('; ') : String(error) });
      }
    }
    this.#running = undefined;
  }
}
