import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convergeTask } from './converge.js';
import type { ManagedFile } from './managedSources.js';

const declared = { path: '', spec: {}, layer: 'host' as const, at: { file: 'muster.yaml', line: 1, col: 1 } };
const file = (path: string, spec: ManagedFile['spec'], kind: ManagedFile['kind'] = 'file'): ManagedFile => ({ path, spec, kind, src: kind === 'absent' ? '' : `/repo${path}`, declared: { ...declared, path, spec } });

test('each then once, after the files; a then of removed paths alone runs after the removals as a plain step', () => {
  const { task } = convergeTask([
    file('/etc/nginx/nginx.conf', { src: 'x', test: 'nginx -t -c {}', then: 'systemctl reload nginx' }),
    file('/etc/nginx/conf.d/old.conf', { absent: true, then: 'systemctl reload nginx' }, 'absent'),
    file('/etc/cron.d/old', { absent: true, then: 'systemctl restart cron' }, 'absent'),
    file('/etc/cron.d/older', { absent: true, then: 'systemctl restart cron' }, 'absent'),
  ]);
  assert.deepEqual(task.steps.map((step) => `${step.kind} ${'command' in step ? step.command.replace(/^if .*then rm -rf -- (\S+).*$/, 'rm $1') : step.dest}`), [
    'push /etc/nginx/nginx.conf',
    'test nginx -t -c /etc/nginx/nginx.conf',
    'run rm /etc/nginx/conf.d/old.conf',
    'run rm /etc/cron.d/old',
    'run rm /etc/cron.d/older',
    'run systemctl restart cron',
    'then systemctl reload nginx',
  ]);
});
