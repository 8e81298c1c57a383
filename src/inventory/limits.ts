/**
 * How big an inventory may be. Past these, muster refuses with one line instead
 * of running out of memory (a 100 MB inventory used to crash V8 with a native
 * trace, exit 134). Both are documented in docs/inventory.md, "Limits".
 *
 * Two byte limits, because two parsers read inventories. The fast path for
 * plain block YAML (fastYaml.ts) costs ~18 bytes of heap per byte (50 MB,
 * 96,000 hosts: 0.9 GB, 4.5 s), so 64 MiB fit well inside the 4 GB heap V8
 * gives node here. Text the fast path leaves to the `yaml` package (anchors,
 * tags, block scalars…) still costs ~70 bytes per byte (50 MB took 3.5 GB),
 * so that text gets a budget of its own, 32 MiB for all files together: past
 * it a dense file would crash V8 under the limit, which is what the limits
 * are for. 64 MiB is ~130,000 hosts written out one by one with a dozen vars
 * each; patterns make far more hosts per byte, hence the host limit.
 */

/** The most bytes of YAML an inventory may have, all its files together: 64 MiB. */
export const maxInventoryBytes = 64 * 1024 * 1024;

/** The most bytes of YAML, all files together, that the fast path leaves to the `yaml` package: 32 MiB. */
export const maxGeneralYamlBytes = 32 * 1024 * 1024;

/** The most hosts an inventory may make, all patterns expanded: 250,000. */
export const maxInventoryHosts = 250_000;
