// What the proxy benchmarks (proxy-npm, proxy-pypi, proxy-maven) share besides the processes: the
// domain they measure (a store repository holding the external connection, `app` reading through
// it, as CodeArtifact recommends) and the summary they print (medians, ratios to the floor, the
// registry's CPU, upstream requests per run, Hoard's memory).
import {
  AssociateExternalConnectionCommand,
  CreateDomainCommand,
  CreateRepositoryCommand,
  GetAuthorizationTokenCommand,
  GetRepositoryEndpointCommand,
  type PackageFormat,
} from '@aws-sdk/client-codeartifact';
import { median } from './load.js';
import type { HoardProcess } from './processes.js';

/** Domain `bench`: `store` holding `connection`, `app` with `store` upstream; app's endpoint for `format` and a token. */
export async function setupProxyDomain(h: HoardProcess, store: string, connection: string, format: PackageFormat): Promise<{ endpoint: string; token: string }> {
  const sdk = h.sdk();
  const domain = 'bench';
  await sdk.send(new CreateDomainCommand({ domain }));
  await sdk.send(new CreateRepositoryCommand({ domain, repository: store }));
  await sdk.send(new CreateRepositoryCommand({ domain, repository: 'app', upstreams: [{ repositoryName: store }] }));
  await sdk.send(new AssociateExternalConnectionCommand({ domain, repository: store, externalConnection: connection }));
  const token = (await sdk.send(new GetAuthorizationTokenCommand({ domain }))).authorizationToken!;
  const endpoint = (await sdk.send(new GetRepositoryEndpointCommand({ domain, repository: 'app', format }))).repositoryEndpoint!;
  sdk.destroy();
  return { endpoint, token };
}

export interface ProxyRun {
  seconds: number;
  /** CPU seconds the registry the client talked to used during the run */
  serverCpu: number;
}

/** Prints the medians of floor, cold and warm with their ratios and goals, the registry CPU, upstream requests and RSS. */
export function printSummary<T extends ProxyRun>(o: {
  runs: number;
  /** 'install' or 'build' */
  unit: string;
  /** the client ('npm', 'pip', 'mvn') and what it talks to ('registry', 'index', 'server') */
  client: string;
  server: string;
  issue: number;
  goals: { cold: number; warm: number };
  floor: T[];
  cold: T[];
  warm: T[];
  /** what an upstream-requests line counts, and that line for some runs (`md` takes a median) */
  requests: { legend: string; line: (md: (f: (x: T) => number) => number) => string };
  peaks: number[];
  atReady?: number[];
}): void {
  const m = (xs: T[]) => median(xs.map((x) => x.seconds));
  const [mf, mc, mw] = [m(o.floor), m(o.cold), m(o.warm)];
  console.log(`\nmedian of ${o.runs} ${o.unit}s:`);
  console.log(`  floor (${o.client} straight from the fixture)${' '.repeat(Math.max(1, 6 - o.client.length))}${mf.toFixed(2)} s`);
  console.log(`  cold  (through a new, empty Hoard)      ${mc.toFixed(2)} s   ${(mc / mf).toFixed(2)}x floor   (issue ${o.issue} goal <= ${o.goals.cold.toFixed(2)}x)`);
  console.log(`  warm  (through the same Hoard again)    ${mw.toFixed(2)} s   ${(mw / mf).toFixed(2)}x floor   (issue ${o.issue} goal <= ${o.goals.warm.toFixed(2)}x)`);
  const cpu = (xs: T[]) => median(xs.map((x) => x.serverCpu)).toFixed(2);
  console.log(
    `CPU time of the ${o.server} ${o.client} talked to, per ${o.unit} (median): floor ${cpu(o.floor)} s (the fixture's process), ` +
      `cold ${cpu(o.cold)} s (Hoard), warm ${cpu(o.warm)} s (Hoard)`,
  );
  console.log(`upstream requests per ${o.unit} (median; ${o.requests.legend}):`);
  for (const [label, xs] of [[`floor (${o.client} to the fixture)`, o.floor], ['cold (Hoard to the fixture)', o.cold], ['warm (Hoard to the fixture)', o.warm]] as const)
    console.log(`  ${label.padEnd(28)} ${o.requests.line((f) => median(xs.map(f)))}`);
  const mb = (k: number) => `${(k / 1024).toFixed(0)} MiB`;
  console.log(
    `Hoard peak RSS (VmHWM over a cold and a warm ${o.unit}): median ${mb(median(o.peaks))}, max ${mb(Math.max(...o.peaks))}` +
      (o.atReady?.length ? `; RSS of the same processes when ready, before any ${o.unit}: median ${mb(median(o.atReady))}` : ''),
  );
}
