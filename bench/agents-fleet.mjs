// The simulated fleet of bench/agents-scale.mjs: a fleet CA in the state-folder layout of
// src/ca/paths.ts, N agent certificates (each its own ECDSA P-256 key, signed by that CA
// with the system openssl), an operator certificate, a broker certificate for 127.0.0.1,
// and the CA's index.json records (src/ca/records.ts) so a broker config generated from
// the index maps every agent. Made once per N and kept under bench/results/agents-scale/N/
// (about 25 ms of openssl per certificate); made anew when missing or near expiry.
//
// Keys are written 0600 and only ever passed to openssl by path.
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `sim00001` … : five digits at least, so every N up to 99,999 sorts and folds. */
export function simName(index, count) {
  return `sim${String(index + 1).padStart(Math.max(5, String(count).length), '0')}`;
}

/** 127.250.B.C, 250 hosts per /24 (C from 1 to 250), never a lab's 127.100-254 block's .0.1 sshd. */
export function simAddress(index) {
  return `127.250.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

async function openssl(args, cwd) {
  await run('openssl', args, { cwd });
}

/** Pooled: `limit` at a time, every item, in order. */
async function pooled(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  }));
  return results;
}

function record(kind, name, path, pem) {
  const cert = new X509Certificate(pem);
  const spki = createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  return {
    kind, name, serial: cert.serialNumber.toLowerCase(), fingerprint: cert.fingerprint256.replaceAll(':', '').toLowerCase(), spki,
    notBefore: new Date(cert.validFrom).toISOString(), notAfter: new Date(cert.validTo).toISOString(), signedAt: new Date().toISOString(), path,
  };
}

/** A fresh key: the private half written 0600, the public half beside it for `-force_pubkey`. */
async function newKey(keyPath, pubPath) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(pubPath, publicKey.export({ type: 'spki', format: 'pem' }));
}

let serial = BigInt(Date.now()) << 20n;

async function signCert(ca, subject, pubPath, certPath, extFile) {
  serial += 1n;
  await openssl(['x509', '-new', '-subj', subject, '-force_pubkey', pubPath, '-CA', ca.cert, '-CAkey', ca.key,
    '-days', '30', '-set_serial', `0x${serial.toString(16)}`, '-extfile', extFile, '-out', certPath]);
  return readFile(certPath, 'utf8');
}

/**
 * The fleet of `count` simulated agents under `dir` (made when missing or expiring within
 * a day). Returns the paths: `state` (the state folder: ca/ca.crt, ca/operators/admin.*,
 * ca/agents/NAME.crt, ca/index.json), `keys` (agents' keys), `agents` [{ name, address,
 * cert, key }], `broker` { cert, key }, `operator` { name, cert, key }, `ca`.
 */
export async function simFleet(dir, count, { operator = 'admin', log = () => {} } = {}) {
  const state = join(dir, 'state');
  const caDir = join(state, 'ca');
  const keys = join(dir, 'keys');
  const ca = { cert: join(caDir, 'ca.crt'), key: join(caDir, 'ca.key') };
  const agents = Array.from({ length: count }, (_, index) => {
    const name = simName(index, count);
    return { name, address: simAddress(index), cert: join(caDir, 'agents', `${name}.crt`), key: join(keys, `${name}.key`) };
  });
  const fleet = {
    dir, state, keys, ca: ca.cert, agents,
    broker: { cert: join(caDir, 'broker', 'server.crt'), key: join(caDir, 'broker', 'server.key') },
    operator: { name: operator, cert: join(caDir, 'operators', `${operator}.crt`), key: join(caDir, 'operators', `${operator}.key`) },
  };
  const marker = join(dir, 'fleet.json');
  const made = JSON.parse(await readFile(marker, 'utf8').catch(() => 'null'));
  if (made?.count === count && made.operator === operator && Date.parse(made.notAfter) > Date.now() + 86_400_000) return fleet;

  log(`making the fleet CA and ${count} agent certificates under ${dir} (once)…`);
  await rm(dir, { recursive: true, force: true });
  for (const sub of ['agents', 'operators', 'broker', 'pending']) await mkdir(join(caDir, sub), { recursive: true, mode: 0o700 });
  await mkdir(keys, { recursive: true, mode: 0o700 });
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', ca.key]);
  await openssl(['req', '-x509', '-new', '-key', ca.key, '-subj', '/O=muster/CN=muster bench CA', '-days', '30', '-out', ca.cert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const clientExt = join(dir, 'client.ext');
  const serverExt = join(dir, 'server.ext');
  await writeFile(clientExt, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  await writeFile(serverExt, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');

  const tmpPub = (name) => join(keys, `${name}.pub`);
  await newKey(fleet.broker.key, tmpPub('broker'));
  await signCert(ca, '/O=muster/OU=broker/CN=broker', tmpPub('broker'), fleet.broker.cert, serverExt);
  await newKey(fleet.operator.key, tmpPub(operator));
  const records = [record('operator', operator, fleet.operator.cert,
    await signCert(ca, `/O=muster/OU=operator/CN=${operator}`, tmpPub(operator), fleet.operator.cert, clientExt))];
  const started = Date.now();
  const agentRecords = await pooled(agents, 2, async (agent, index) => {
    await newKey(agent.key, tmpPub(agent.name));
    const pem = await signCert(ca, `/O=muster/OU=agent/CN=${agent.name}`, tmpPub(agent.name), agent.cert, clientExt);
    await rm(tmpPub(agent.name));
    if ((index + 1) % 1000 === 0) log(`  ${index + 1}/${count} certificates (${((Date.now() - started) / 1000).toFixed(0)}s)`);
    return record('agent', agent.name, agent.cert, pem);
  });
  records.push(...agentRecords);
  await writeFile(join(caDir, 'index.json'), `${JSON.stringify({ version: 1, certificates: records })}\n`);
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

/**
 * A hand-written nats-server config for the fleet (until `muster broker up` can make it):
 * TLS with client certificates mapped to users by subject, each agent allowed to subscribe
 * to its own host's subjects and to publish nothing but replies, the operator allowed to
 * publish requests and to read its own inbox.
 */
export function simBrokerConfig(fleet, { port, dir }) {
  const users = [
    { user: `CN=${fleet.operator.name},OU=operator,O=muster`, permissions: { publish: { allow: ['muster.agent.>', 'muster.role.>'] }, subscribe: { allow: [`muster.inbox.${fleet.operator.name}.>`] } } },
    ...fleet.agents.map((agent) => ({
      user: `CN=${agent.name},OU=agent,O=muster`,
      permissions: { subscribe: { allow: [`muster.agent.${agent.name}.>`] }, publish: { deny: ['>'] }, allow_responses: { max: 100000, expires: '1h' } },
    })),
  ];
  return [
    `listen: 127.0.0.1:${port}`,
    `pid_file: "${join(dir, 'nats.pid')}"`,
    'max_payload: 4MB',
    `tls { cert_file: "${fleet.broker.cert}", key_file: "${fleet.broker.key}", ca_file: "${fleet.ca}", verify_and_map: true, timeout: 5 }`,
    `authorization { users = [\n${users.map((user) => JSON.stringify(user)).join(',\n')}\n] }`,
    '',
  ].join('\n');
}
