// Writes man/muster.1 from the built CLI's own definitions (npm run build first): `node scripts/man.js [OUT]`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { commandDefinitions } = await import(join(root, 'dist/cli/help/definitions.js'));
const { manPage } = await import(join(root, 'dist/cli/help/man.js'));
const { registry } = await import(join(root, 'dist/cli/registry.js'));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = process.argv[2] ?? join(root, 'man', 'muster.1');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, manPage(await commandDefinitions(registry), version));
process.stdout.write(`${out}\n`);
process.exit(0);
