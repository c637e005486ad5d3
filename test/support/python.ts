// Python tooling for the PyPI tests, found the way CI has it: a python that can build (the `build`
// module with setuptools and wheel, e.g. Debian's python3-build; else setuptools' PEP 517 hooks
// called directly), a twine (on PATH or as `python -m twine`), and a python with venv for pip.
// Every child gets a clean environment: no PIP_* variables, a temporary HOME, no machine-wide pip
// configuration (XDG_CONFIG_DIRS pointed at an empty folder), so pip and twine see only Hoard.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PythonTools {
  /** interpreter used to build distributions */
  python: string;
  /** how it builds: `python -m build --no-isolation`, or setuptools.build_meta called directly */
  builder: 'build' | 'hooks';
  /** twine command prefix, e.g. ['twine'] or ['/usr/bin/python3', '-m', 'twine'] */
  twine: string[];
  /** interpreter for `-m venv` */
  venvPython: string;
}

const CANDIDATES = ['python3', '/usr/bin/python3', 'python'];

const ok = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { env: baseEnv(os.tmpdir()), stdio: 'ignore', timeout: 30_000 });
  return !r.error && r.status === 0;
};

/** The tools, or a reason to skip naming what is missing. */
export function findPythonTools(): PythonTools | { missing: string } {
  const pythons = CANDIDATES.filter((p) => ok(p, ['-c', 'import sys; assert sys.version_info >= (3, 8)']));
  if (pythons.length === 0) return { missing: 'no python3 on PATH' };
  const canBuild = pythons.find((p) => ok(p, ['-c', 'import build, setuptools, wheel']));
  const hooks = pythons.find((p) => ok(p, ['-c', 'import setuptools.build_meta, wheel']));
  const twine = ok('twine', ['--version'])
    ? ['twine']
    : pythons.filter((p) => ok(p, ['-m', 'twine', '--version'])).map((p) => [p, '-m', 'twine'])[0];
  const venvPython = pythons.find((p) => ok(p, ['-c', 'import venv, ensurepip']));
  if (!canBuild && !hooks) return { missing: 'no python with `build` (or setuptools + wheel): apt-get install python3-build' };
  if (!twine) return { missing: 'no twine: apt-get install twine' };
  if (!venvPython) return { missing: 'no python with venv/ensurepip: apt-get install python3-venv' };
  return { python: (canBuild ?? hooks)!, builder: canBuild ? 'build' : 'hooks', twine, venvPython };
}

/** A minimal environment for Python children: PATH and locale, a HOME, nothing of the machine's pip setup. */
export function baseEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'LANG', 'LC_ALL', 'PYENV_ROOT', 'SYSTEMROOT', 'TMPDIR']) if (process.env[k]) env[k] = process.env[k];
  const xdg = path.join(home, '.xdg-empty');
  mkdirSync(xdg, { recursive: true });
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_DIRS: xdg, // hides /etc/xdg/pip/pip.conf
    PIP_CONFIG_FILE: '/dev/null',
    PIP_NO_INPUT: '1',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring',
    TWINE_NON_INTERACTIVE: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    COLUMNS: '500', // twine's rich output wraps at the terminal width
    NO_COLOR: '1',
    TERM: 'dumb',
    ...extra,
  };
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for assertions on what the user sees */
  out: string;
}

/** Runs a command without blocking the event loop (the in-process Hoard must keep answering). */
export function run(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, out: `${stdout}\n${stderr}` });
    });
  });
}

export interface ProjectSpec {
  name: string;
  version: string;
  dependencies?: string[];
  requiresPython?: string;
  description?: string;
  /** changes the built bytes without changing names (a "rebuilt" file) */
  salt?: string;
}

/** Writes a setuptools project (pyproject.toml, README, one module) into dir. */
export function writeProject(dir: string, p: ProjectSpec): void {
  const mod = p.name.replace(/[-.]/g, '_').toLowerCase();
  mkdirSync(path.join(dir, mod), { recursive: true });
  writeFileSync(path.join(dir, mod, '__init__.py'), `NAME = ${JSON.stringify(p.name)}\nVERSION = ${JSON.stringify(p.version)}\n${p.salt ? `SALT = ${JSON.stringify(p.salt)}\n` : ''}`);
  writeFileSync(path.join(dir, 'README.md'), p.description ?? `# ${p.name}\n\nA generated test project.\n`);
  const deps = (p.dependencies ?? []).map((d) => JSON.stringify(d)).join(', ');
  writeFileSync(
    path.join(dir, 'pyproject.toml'),
    [
      '[build-system]',
      'requires = ["setuptools>=61", "wheel"]',
      'build-backend = "setuptools.build_meta"',
      '',
      '[project]',
      `name = ${JSON.stringify(p.name)}`,
      `version = ${JSON.stringify(p.version)}`,
      'description = "A generated test project"',
      'readme = "README.md"',
      `requires-python = ${JSON.stringify(p.requiresPython ?? '>=3.8')}`,
      `dependencies = [${deps}]`,
      'authors = [{ name = "Hoard Tests", email = "tests@example.invalid" }]',
      'classifiers = ["Programming Language :: Python :: 3"]',
      '',
      '[project.urls]',
      'Homepage = "https://example.invalid/home"',
      '',
      '[tool.setuptools]',
      `packages = [${JSON.stringify(mod)}]`,
      '',
    ].join('\n'),
  );
}

/** Builds an sdist and a wheel of the project in dir into outDir; returns their paths (sdist, wheel). */
export async function buildProject(tools: PythonTools, dir: string, outDir: string): Promise<{ sdist: string; wheel: string }> {
  mkdirSync(outDir, { recursive: true });
  const env = baseEnv(mkdtempSync(path.join(os.tmpdir(), 'hoard-build-home-')), { SOURCE_DATE_EPOCH: '1700000000' });
  const r =
    tools.builder === 'build'
      ? await run(tools.python, ['-m', 'build', '--no-isolation', '--sdist', '--wheel', '--outdir', outDir, dir], { env })
      : await run(
          tools.python,
          ['-c', 'import sys, setuptools.build_meta as b; b.build_sdist(sys.argv[1]); b.build_wheel(sys.argv[1])', outDir],
          { env, cwd: dir },
        );
  if (r.status !== 0) throw new Error(`building ${dir} failed:\n${r.out}`);
  const files = readdirSync(outDir);
  const sdist = files.find((f) => f.endsWith('.tar.gz'));
  const wheel = files.find((f) => f.endsWith('.whl'));
  if (!sdist || !wheel) throw new Error(`building ${dir} made ${files.join(', ')}`);
  return { sdist: path.join(outDir, sdist), wheel: path.join(outDir, wheel) };
}

/** A fresh virtual environment; returns its python. */
export async function makeVenv(tools: PythonTools, dir: string): Promise<string> {
  const r = await run(tools.venvPython, ['-m', 'venv', dir], { env: baseEnv(os.tmpdir()) });
  if (r.status !== 0) throw new Error(`python -m venv failed:\n${r.out}`);
  return path.join(dir, 'bin', 'python');
}
