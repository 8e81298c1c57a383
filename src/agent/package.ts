/**
 * `muster agent package`: the agent as a Debian package for hosts without Node.js from npm.
 * `muster-agent_<version>_all.deb` depends on Debian's `nodejs (>= 18)` and holds:
 *
 * - `/usr/lib/muster-agent/muster-agent.mjs`: the agent entry (main.ts) bundled by esbuild
 *   into one file — the agent, zod and the NATS client, nothing of the CLI (no ssh2, no
 *   better-sqlite3: native packages cannot be in an `_all` package), the version written in;
 * - `/usr/bin/muster-agent`: `exec /usr/bin/node /usr/lib/muster-agent/muster-agent.mjs "$@"`;
 * - `/lib/systemd/system/muster-agent.service`: the unit (installed, not enabled: the host
 *   has no certificate yet; `muster agent enroll`, sign, then `systemctl enable --now`);
 * - `/etc/muster-agent/` made 0755 by the postinst (its files are the host's own: none ship).
 *
 * Building needs the muster source tree with its dev dependencies (esbuild) and `dpkg-deb`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EnvironmentError } from '../core/errors.js';
import { agentVersion, packageRoot } from './version.js';

/** What `buildAgentPackage` takes. */
export interface PackageOptions {
  /** Where the .deb goes (made if missing). */
  outDir: string;
  /** The muster source tree (default: the one this module is in). */
  root?: string;
}

/** The bits of esbuild's API used here (esbuild is a dev dependency, loaded only when packaging). */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((done, reject) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') reject(new EnvironmentError(`${file} is not installed (agent package needs it: apt-get install dpkg)`));
      else if (error) reject(new EnvironmentError(`${file} failed: ${stderr.trim() || error.message}`));
      else done(stdout);
    });
  });
}

/** Bundles the agent entry into `outFile` (one ESM file, Node 18). */
export async function bundleAgent(root: string, outFile: string): Promise<void> {
  // A name in a variable: the CLI's own bundler must not try to bundle esbuild into muster.
  const name = 'esbuild';
  let esbuild: Esbuild;
  try {
    esbuild = await import(name) as Esbuild;
  } catch {
    throw new EnvironmentError('agent package needs esbuild (a dev dependency of muster): run it from a muster source tree after npm install');
  }
  const entry = existsSync(join(root, 'src/agent/main.ts')) ? './src/agent/main.ts' : './dist/agent/main.js';
  await esbuild.build({
    absWorkingDir: root,
    stdin: { contents: `import { agentMain } from '${entry}';\nawait agentMain(process.argv.slice(2));\n`, resolveDir: root, loader: 'js', sourcefile: 'muster-agent-entry.js' },
    outfile: outFile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node18',
    define: { MUSTER_AGENT_VERSION: JSON.stringify(agentVersion()) },
    // Bundled CommonJS packages call require() for Node built-ins.
    banner: { js: "import { createRequire as __agentRequire } from 'node:module'; const require = __agentRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

function control(version: string): string {
  return [
    'Package: muster-agent',
    `Version: ${version}`,
    'Architecture: all',
    'Maintainer: muster <muster@localhost>',
    'Depends: nodejs (>= 18)',
    'Recommends: openssl, sudo',
    'Section: admin',
    'Priority: optional',
    'Description: muster agent: answers muster requests over NATS with mutual TLS',
    ' The daemon on every host of a muster fleet: connects out to the NATS broker',
    ' with its own certificate (no inbound port) and runs the command, file, facts,',
    ' service and ping modules for the operators the broker lets through.',
    '',
  ].join('\n');
}

const postinst = `#!/bin/sh
set -e
mkdir -p /etc/muster-agent
chmod 0755 /etc/muster-agent
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
# An upgrade (configure with the old version as $2) restarts a running agent, so the new code runs.
if [ "$1" = configure ] && [ -n "$2" ] && [ -d /run/systemd/system ]; then systemctl try-restart muster-agent.service || true; fi
`;

const prerm = `#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then systemctl stop muster-agent.service || true; fi
`;

const launcher = `#!/bin/sh
exec /usr/bin/node /usr/lib/muster-agent/muster-agent.mjs "$@"
`;

/** Builds the .deb (see the file header) and returns its path. */
export async function buildAgentPackage(options: PackageOptions): Promise<string> {
  const root = options.root ?? packageRoot();
  if (!root) throw new EnvironmentError('agent package needs the muster source tree (no package.json of muster above this module)');
  const version = agentVersion();
  const stage = await mkdtemp(join(tmpdir(), 'muster-agent-deb-'));
  try {
    // mkdtemp made it 0700, and the package's `./` would be too.
    await chmod(stage, 0o755);
    const lib = join(stage, 'usr/lib/muster-agent');
    await mkdir(join(stage, 'DEBIAN'), { recursive: true });
    await mkdir(lib, { recursive: true });
    await mkdir(join(stage, 'usr/bin'), { recursive: true });
    await mkdir(join(stage, 'lib/systemd/system'), { recursive: true });
    await bundleAgent(root, join(lib, 'muster-agent.mjs'));
    await writeFile(join(stage, 'usr/bin/muster-agent'), launcher, { mode: 0o755 });
    await copyFile(join(root, 'src/agent/muster-agent.service'), join(stage, 'lib/systemd/system/muster-agent.service'));
    await writeFile(join(stage, 'DEBIAN/control'), control(version));
    await writeFile(join(stage, 'DEBIAN/postinst'), postinst, { mode: 0o755 });
    await writeFile(join(stage, 'DEBIAN/prerm'), prerm, { mode: 0o755 });
    // dpkg-deb refuses group- or world-writable control scripts; the umask may have made them so.
    for (const file of ['DEBIAN/postinst', 'DEBIAN/prerm', 'usr/bin/muster-agent']) await chmod(join(stage, file), 0o755);
    const outDir = resolve(options.outDir);
    await mkdir(outDir, { recursive: true });
    const deb = join(outDir, `muster-agent_${version}_all.deb`);
    await run('dpkg-deb', ['--build', '--root-owner-group', stage, deb]);
    return deb;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
