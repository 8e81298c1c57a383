import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { serverFor, tempInventory } from './server.test-helper.js';

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

interface Target {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
}

describe('a real Prometheus reads /v1/sd/prometheus', () => {
  it('discovers the web hosts as targets, with muster labels usable in relabeling', async (t) => {
    if (spawnSync('prometheus', ['--version']).status !== 0) {
      t.skip('prometheus is not installed (Debian package prometheus)');
      return;
    }
    const { dir, file } = tempInventory();
    const server = await serverFor(file, { watch: false, token: 'sd-token' });
    const port = await freePort();
    writeFileSync(join(dir, 'token'), 'sd-token\n');
    writeFileSync(join(dir, 'prometheus.yml'), [
      'global: { scrape_interval: 1h }',
      'scrape_configs:',
      '  - job_name: node',
      '    http_sd_configs:',
      `      - url: ${server.url}/v1/sd/prometheus?sel=web&port=9100`,
      '        refresh_interval: 1s',
      // `type: Bearer` must be written out: Prometheus 2.42's http_sd sends the bare token without it.
      `        authorization: { type: Bearer, credentials_file: ${join(dir, 'token')} }`,
      '    relabel_configs:',
      '      - { source_labels: [__meta_muster_host], target_label: instance }',
      '      - { source_labels: [__meta_muster_var_dc], target_label: dc }',
      '',
    ].join('\n'));
    const prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    try {
      // Prometheus polls on its own schedule: ask until its target list is filled (bounded).
      let targets: Target[] = [];
      for (let i = 0; i < 150 && targets.length < 4; i++) {
        await delay(200);
        try {
          const reply = await fetch(`http://127.0.0.1:${port}/api/v1/targets`);
          targets = ((await reply.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
        } catch {
          targets = []; // not up yet
        }
      }
      const seen = targets.map((target) => [target.labels['instance'], target.labels['dc'], target.discoveredLabels['__address__'], target.discoveredLabels['role']]).sort();
      assert.deepEqual(seen, [
        ['web001.example.lan', 'tk1', '127.0.1.11:9100', 'web'],
        ['web002.example.lan', 'tk1', '127.0.1.12:9100', 'web'],
        ['web003.example.lan', 'tk1', '127.0.1.13:9100', 'web'],
        ['web004.example.lan', 'os1', '127.0.1.14:9100', 'web'],
      ]);
    } finally {
      prometheus.kill('SIGTERM');
      await once(prometheus, 'exit');
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
