/**
 * How big an inventory may be. Past these, muster refuses with one line instead
 * of running out of memory (a 100 MB inventory used to crash V8 with a native
 * trace, exit 134). Both are documented in docs/inventory.md, "Limits".
 *
 * Why 32 MiB: the YAML parser holds the whole syntax tree, about 70 bytes of
 * heap per byte of YAML (50 MB took 3.5 GB of the 4 GB heap V8 gives node
 * here), so a limit much past 32 MiB would let a dense file crash V8 under the
 * limit, which is what the limit is for. It can rise once the parse costs less
 * (issue 17, item 8). 32 MiB is ~65,000 hosts written out one by one with a
 * dozen vars each, past the 50,000 servers muster is built for; patterns make
 * far more hosts per byte, hence the host limit.
 */

/** The most bytes of YAML an inventory may have, all its files together: 32 MiB. */
export const maxInventoryBytes = 32 * 1024 * 1024;

/** The most hosts an inventory may make, all patterns expanded: 250,000. */
export const maxInventoryHosts = 250_000;
