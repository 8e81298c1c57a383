// The simulated fleet of bench/agents-scale.mjs: the real fleet CA (`initCa`, as `muster ca
// init` makes it, in the state-folder layout of src/ca/paths.ts), the real operator certificate
// (`signOperator`, as `ca sign --operator`), and N agent certificates, each its own ECDSA P-256
// key, signed by that CA's key with the system openssl and recorded in the CA's index through
// the CA's own writer (`withCaIndex`, `recordOf`), so the real `brokerUp` maps every agent to a
// user. The agents skip the CSR round (`agent enroll` + `submitCsr`): thousands of CSRs prove
// nothing the tests do not, and would triple the one-time cost. Made once per N and kept under
// bench/results/agents-scale/N/ (about 25 ms of openssl per certificate).
//
// Keys are written 0600 and only ever passed to openssl by path.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const { initCa } = await import(join(root, 'dist/ca/init.js'));
const { signOperator } = await import(join(root, 'dist/ca/sign.js'));
const { withCaIndex } = await import(join(root, 'dist/ca/indexWriter.js'));
const { pooledAll } = await import(join(root, 'dist/core/pool.js'));
const { recordOf } = await import(join(root, 'dist/ca/certificate.js'));
const { caPaths, operatorFiles } = await import(join(root, 'dist/ca/paths.js'));

/** `sim00001` … : five digits at least, so every N up to 99,999 sorts and folds. */
export function simName(index, count) {
  return `sim${String(index + 1).padStart(Math.max(5, String(count).length), '0')}`;
}

/** 127.250.B.C, 250 hosts per /24 (C from 1 to 250), outside every lab's 127.100-254 block… but 250: labs claim it last. */
export function simAddress(index) {
  return `127.250.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

async function openssl(args, cwd) {
  await run('openssl', args, { cwd });
}

/** A fresh key: the private half written 0600, the public half beside it for `-force_pubkey`. */
async function newKey(keyPath, pubPath) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(pubPath, publicKey.export({ type: 'spki', format: 'pem' }));
}

let serial = BigInt(Date.now()) << 20n;

/**
 * The fleet of `count` simulated agents under `dir` (made when missing or expiring within
 * a day). Returns the paths: `state` (the state folder: ca/ca.crt, ca/operators/admin.*,
 * ca/agents/NAME.crt, ca/index.json), `keys` (agents' keys), `agents` [{ name, address,
 * cert, key }], `operator` { name, cert, key }, `ca`.
 */
export async function simFleet(dir, count, { operator = 'admin', log = () => {} } = {}) {
  const state = join(dir, 'state');
  const ca = caPaths(state);
  const keys = join(dir, 'keys');
  const agents = Array.from({ length: count }, (_, index) => {
    const name = simName(index, count);
    return { name, address: simAddress(index), cert: join(ca.agents, `${name}.crt`), key: join(keys, `${name}.key`) };
  });
  const files = operatorFiles(state, operator);
  const fleet = { dir, state, keys, ca: ca.cert, agents, operator: { name: operator, cert: files.cert, key: files.key } };
  const marker = join(dir, 'fleet.json');
  const made = JSON.parse(await readFile(marker, 'utf8').catch(() => 'null'));
  if (made?.count === count && made.operator === operator && Date.parse(made.notAfter) > Date.now() + 86_400_000) return fleet;

  log(`making the fleet CA and ${count} agent certificates under ${dir} (once)…`);
  await rm(dir, { recursive: true, force: true });
  await initCa(state, { sans: ['127.0.0.1'] });
  await signOperator(state, operator);
  await mkdir(ca.agents, { recursive: true, mode: 0o700 });
  await mkdir(keys, { recursive: true, mode: 0o700 });
  const clientExt = join(dir, 'client.ext');
  await writeFile(clientExt, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  const started = Date.now();
  const records = new Array(agents.length);
  await pooledAll(agents.entries(), async ([index, agent]) => {
    const pub = join(keys, `${agent.name}.pub`);
    await newKey(agent.key, pub);
    serial += 1n;
    await openssl(['x509', '-new', '-subj', `/O=muster/OU=agent/CN=${agent.name}`, '-force_pubkey', pub, '-CA', ca.cert, '-CAkey', ca.key,
      '-days', '30', '-set_serial', `0x${serial.toString(16)}`, '-extfile', clientExt, '-out', agent.cert]);
    await rm(pub);
    if ((index + 1) % 1000 === 0) log(`  ${index + 1}/${count} certificates (${((Date.now() - started) / 1000).toFixed(0)}s)`);
    records[index] = recordOf('agent', agent.name, await readFile(agent.cert, 'utf8'), agent.cert);
  }, { limit: 2 });
  await withCaIndex(state, async (index) => { index.certificates.push(...records); });
  const notAfter = records.reduce((least, entry) => (entry.notAfter < least ? entry.notAfter : least), records[0].notAfter);
  await writeFile(marker, `${JSON.stringify({ count, operator, notAfter })}\n`);
  return fleet;
}

/** The inventory of a simulated fleet: `sim…` hosts in runs of 250 (one /24 each), and its agents section. */
export function simInventoryText(fleet, servers) {
  const lines = [
    '# The simulated fleet of bench/agents-scale.mjs (made by the bench; throwaway).',
    'version: 1',
    'defaults:',
    '  user: root',
    'agents:',
    `  servers: [${servers.join(', ')}]`,
    `  state: ${fleet.state}`,
    `  operators: { ${fleet.operator.name}: [ops] }`,
    "  permissions: { ops: ['*'] }",
    'hosts:',
  ];
  for (let start = 0; start < fleet.agents.length; start += 250) {
    const run = fleet.agents.slice(start, start + 250);
    const first = run[0];
    const last = run.at(-1);
    lines.push(run.length === 1 ? `  ${first.name}:` : `  sim[${first.name.slice(3)}-${last.name.slice(3)}]:`);
    const head = first.address.split('.').slice(0, 3).join('.');
    lines.push(`    address: ${run.length === 1 ? first.address : `${head}.[${first.address.split('.')[3]}-${last.address.split('.')[3]}]`}`);
  }
  return `${lines.join('\n')}\n`;
}

