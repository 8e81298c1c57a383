/** The local half of a push: its option errors name options, and the CLI says them as flags. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliMessage } from '../cli/optionFlags.js';
import { OptionError } from '../core/errors.js';
import { prepareSource } from './push-source.js';

describe('prepareSource', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'muster-source-'));
    await writeFile(join(dir, 'motd'), 'hello\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file once for every host', async () => {
    const source = await prepareSource(join(dir, 'motd'), {});
    const content = source.contentFor('any');
    assert.equal(content.kind === 'file' && content.data.toString(), 'hello\n');
  });

  it('names `recursive` and `template` in its errors; the CLI says -r and --template', async () => {
    const said = async (promise: Promise<unknown>): Promise<[string, string, string]> => {
      const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
      assert.ok(error instanceof OptionError);
      return [error.option, error.message, cliMessage(error)];
    };
    assert.deepEqual(await said(prepareSource(dir, {})), ['recursive', `${dir} is a directory: add recursive to push a directory`, `${dir} is a directory: add -r to push a directory`]);
    assert.deepEqual(await said(prepareSource(dir, { template: true, recursive: true })),
      ['template', 'template renders one file: it cannot be combined with recursive', '--template renders one file: it cannot be combined with -r']);
    assert.deepEqual(await said(prepareSource(join(dir, 'motd'), { template: true })),
      ['template', 'template needs an inventory to render with', '--template needs an inventory to render with']);
  });
});
