// Real Maven in tests without the network: plugins come from the machine's local repository (a
// hard-linked copy per build, so nothing outside the test changes) with every plugin version pinned
// to one that repository holds; `mvn` runs asynchronously (Hoard runs in the test's process and must
// keep answering while Maven waits on it).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const M2 = path.join(os.homedir(), '.m2', 'repository');
export const HAVE_MVN = spawnSync('mvn', ['-v'], { encoding: 'utf8' }).status === 0;

// Versions present in the machine's local repository (Maven 3.8's defaults are not all there).
export const PLUGINS: Record<string, string> = {
  'maven-clean-plugin': '3.3.2',
  'maven-resources-plugin': '3.3.1',
  'maven-compiler-plugin': '3.11.0',
  'maven-surefire-plugin': '3.2.5',
  'maven-jar-plugin': '3.4.1',
  'maven-install-plugin': '3.1.1',
  'maven-deploy-plugin': '3.1.1',
  'maven-site-plugin': '3.12.1',
};

/** The pinned plugins the local repository lacks (tests needing them skip, loudly). */
export function missingPlugins(names = Object.keys(PLUGINS)): string[] {
  if (!HAVE_MVN) return [];
  return names.filter((a) => !existsSync(path.join(M2, 'org/apache/maven/plugins', a, PLUGINS[a], `${a}-${PLUGINS[a]}.jar`))).map((a) => `${a}:${PLUGINS[a]}`);
}

/** `<pluginManagement>` pinning every plugin in PLUGINS. */
export const pluginManagement = () =>
  `<pluginManagement><plugins>${Object.entries(PLUGINS)
    .map(([a, v]) => `<plugin><groupId>org.apache.maven.plugins</groupId><artifactId>${a}</artifactId><version>${v}</version></plugin>`)
    .join('')}</plugins></pluginManagement>`;

/** A fresh local repository at dir/repo holding what the machine's holds (hard links; a copy where they fail). */
export function localRepoCopy(dir: string): string {
  const dest = path.join(dir, 'repo');
  // Hard links are instant and share nothing Maven rewrites (it adds files; it does not edit these).
  const r = spawnSync('cp', ['-al', M2, dest]);
  if (r.status !== 0) {
    rmSync(dest, { recursive: true, force: true });
    cpSync(M2, dest, { recursive: true });
  }
  return dest;
}

/** Runs `mvn -B -s settings -Dmaven.repo.local=repo args` in cwd with HOME=home; the output is also written to home/mvn-*.log. */
export function mvn(o: { cwd: string; home: string; settings: string; repo: string; args: string[]; timeoutMs?: number }): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: o.home, MAVEN_OPTS: '-Xmx512m' };
    if (process.env.JAVA_HOME) env.JAVA_HOME = process.env.JAVA_HOME;
    const child = spawn('mvn', ['-B', '-s', o.settings, `-Dmaven.repo.local=${o.repo}`, ...o.args], { cwd: o.cwd, env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 170_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      writeFileSync(path.join(o.home, `mvn-${Date.now()}.log`), out);
      resolve({ ok: code === 0, out });
    });
  });
}

export const tail = (s: string, n = 40) => s.split('\n').slice(-n).join('\n');
