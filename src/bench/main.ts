// `npm run bench -- <scenario>`: prints figures (medians of several runs, with a baseline measured
// in the same run), never asserts them.
import { machine } from './load.js';

type Scenario = () => Promise<void>;

const scenarios: Record<string, () => Promise<Scenario>> = {
  npm: async () => (await import('./npm.js')).run,
  'npm-memory': async () => (await import('./npm-memory.js')).run,
  pypi: async () => (await import('./pypi.js')).run,
  maven: async () => (await import('./maven.js')).run,
  'proxy-npm': async () => (await import('./proxy-npm.js')).run,
  'proxy-pypi': async () => (await import('./proxy-pypi.js')).run,
  'proxy-maven': async () => (await import('./proxy-maven.js')).run,
  webhooks: async () => (await import('./webhooks.js')).run,
};

const name = process.argv[2];
if (!name || !scenarios[name]) {
  console.error(`usage: npm run bench -- <${Object.keys(scenarios).join('|')}>`);
  process.exit(2);
}
console.log(`bench ${name} on ${machine()}`);
const run = await scenarios[name]();
await run();
process.exit(0);
