// The web UI's "connect" instructions for one repository: npm, pnpm, yarn, pip, uv, twine, Maven
// and Gradle, filled in with the repository's real endpoints, plus the `hoard login` and
// `aws codeartifact login` commands. The configuration text comes from core/client-config.ts,
// shared with `hoard login`. The token stays a placeholder: the UI never mints one.
import {
  gradleProperties,
  gradleRepositoryKts,
  gradleRepositoryName,
  mavenDistributionXml,
  mavenProfileXml,
  mavenServerId,
  mavenServerXml,
  npmAuthKey,
  pipIndexUrl,
} from '../core/client-config.js';
import { repositoryEndpoint } from '../core/names.js';

export interface Snippet {
  tool: string;
  /** where the text goes (a file name, or "shell") */
  file: string;
  text: string;
}

export interface ConnectInfo {
  publicUrl: string;
  domain: string;
  owner: string;
  repository: string;
}

const TOKEN_ENV = 'CODEARTIFACT_AUTH_TOKEN';

export function endpoints(c: ConnectInfo): { npm: string; pypi: string; maven: string } {
  const ep = (f: string) => repositoryEndpoint(c.publicUrl, f, c.domain, c.owner, c.repository);
  return { npm: ep('npm'), pypi: ep('pypi'), maven: ep('maven') };
}

/** How to get a token into $CODEARTIFACT_AUTH_TOKEN with the aws CLI. */
export function tokenCommand(c: ConnectInfo): string {
  return (
    `export ${TOKEN_ENV}=$(aws codeartifact get-authorization-token --domain ${c.domain} --domain-owner ${c.owner} ` +
    `--query authorizationToken --output text --endpoint-url ${c.publicUrl})`
  );
}

export function loginCommands(c: ConnectInfo): Snippet[] {
  const tools = ['npm', 'pip', 'twine', 'maven', 'gradle'];
  const aws = ['npm', 'pip', 'twine'];
  return [
    {
      tool: 'hoard login',
      file: 'shell',
      text: tools.map((t) => `hoard login --tool ${t} --domain ${c.domain} --domain-owner ${c.owner} --repository ${c.repository}`).join('\n'),
    },
    {
      tool: 'aws codeartifact login',
      file: 'shell',
      text: aws
        .map((t) => `aws codeartifact login --tool ${t} --domain ${c.domain} --domain-owner ${c.owner} --repository ${c.repository} --endpoint-url ${c.publicUrl}`)
        .join('\n'),
    },
  ];
}

export function connectSnippets(c: ConnectInfo): Snippet[] {
  const ep = endpoints(c);
  const env = '${' + TOKEN_ENV + '}';
  const npmrc = `registry=${ep.npm}\n${npmAuthKey(ep.npm)}:_authToken=${env}\n`;
  const id = mavenServerId(c.domain, c.repository);
  const gradleName = gradleRepositoryName(c.domain, c.repository);
  return [
    { tool: 'npm', file: '.npmrc', text: `${npmrc}\n# then: npm install <package>    npm publish` },
    { tool: 'pnpm', file: '.npmrc', text: `${npmrc}\n# then: pnpm add <package>    pnpm publish` },
    {
      tool: 'yarn',
      file: '.yarnrc.yml',
      text: `npmRegistryServer: "${ep.npm}"\nnpmAlwaysAuth: true\nnpmAuthToken: "${env}"\n\n# then: yarn add <package>    yarn npm publish`,
    },
    {
      tool: 'pip',
      file: 'pip.conf',
      text: `[global]\nindex-url = ${pipIndexUrl(ep.pypi, '<token>')}\n\n# or, with the token in $${TOKEN_ENV}:\n# pip config set global.index-url "${pipIndexUrl(ep.pypi, env)}"`,
    },
    {
      tool: 'uv',
      file: 'pyproject.toml',
      text:
        `[[tool.uv.index]]\nname = "hoard"\nurl = "${ep.pypi}simple/"\ndefault = true\n\n` +
        `# credentials: export UV_INDEX_HOARD_USERNAME=aws UV_INDEX_HOARD_PASSWORD=$${TOKEN_ENV}\n` +
        `# publish: uv publish --publish-url ${ep.pypi} --username aws --password "$${TOKEN_ENV}"`,
    },
    {
      tool: 'twine',
      file: '.pypirc',
      text: `[distutils]\nindex-servers =\n\tcodeartifact\n\n[codeartifact]\nrepository = ${ep.pypi}\nusername = aws\npassword = <token>\n\n# then: twine upload --repository codeartifact dist/*`,
    },
    {
      tool: 'Maven',
      file: 'settings.xml',
      text:
        `<settings>\n  <servers>\n${mavenServerXml(id, '${env.' + TOKEN_ENV + '}')}\n  </servers>\n` +
        `  <profiles>\n${mavenProfileXml(id, ep.maven)}\n  </profiles>\n</settings>\n\n${mavenDistributionXml(id, ep.maven)}`,
    },
    {
      tool: 'Gradle',
      file: 'build.gradle.kts',
      text: `${gradleRepositoryKts(gradleName, ep.maven)}\n\n# ~/.gradle/gradle.properties\n${gradleProperties(gradleName, '<token>').join('\n')}`,
    },
  ];
}

/** The command that installs one version, per format (shown on the package page). */
export function installCommand(format: string, displayName: string, namespace: string, name: string, version: string, c: ConnectInfo): string {
  switch (format) {
    case 'npm':
      return `npm install ${displayName}@${version}`;
    case 'pypi':
      return `pip install ${displayName}==${version}`;
    case 'maven':
      return (
        `<dependency>\n  <groupId>${namespace}</groupId>\n  <artifactId>${name}</artifactId>\n  <version>${version}</version>\n</dependency>\n\n` +
        `// Gradle\nimplementation("${namespace}:${name}:${version}")`
      );
    default:
      return (
        `aws codeartifact list-package-version-assets --domain ${c.domain} --domain-owner ${c.owner} --repository ${c.repository} ` +
        `--format ${format}${namespace ? ` --namespace ${namespace}` : ''} --package ${name} --package-version ${version} --endpoint-url ${c.publicUrl}`
      );
  }
}
