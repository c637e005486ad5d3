// What a package manager is given to use a repository endpoint: the text `hoard login` writes
// (src/cli/login.ts) and the web UI's connect page shows (src/ui/snippets.ts), in one place.
// `token` is the authorization token, or a placeholder the reader replaces.

/** The `//host/path/` key npm scopes auth settings with (.npmrc). */
export function npmAuthKey(endpoint: string): string {
  const u = new URL(endpoint);
  return `//${u.host}${u.pathname}`;
}

/** pip's index URL: the simple index under the endpoint, with the token as Basic password of user `aws`. */
export function pipIndexUrl(endpoint: string, token: string): string {
  const u = new URL(endpoint);
  return `${u.protocol}//aws:${token}@${u.host}${u.pathname}simple/`;
}

/** The id of the Maven <server>/<repository> (and, without punctuation, the Gradle repository name). */
export function mavenServerId(domain: string, repository: string): string {
  return `${domain}-${repository}`;
}

export function mavenServerXml(id: string, token: string): string {
  return `    <server>\n      <id>${id}</id>\n      <username>aws</username>\n      <password>${token}</password>\n    </server>`;
}

export function mavenProfileXml(id: string, endpoint: string): string {
  return (
    `    <profile>\n      <id>${id}</id>\n      <activation><activeByDefault>true</activeByDefault></activation>\n` +
    `      <repositories>\n        <repository>\n          <id>${id}</id>\n          <url>${endpoint}</url>\n` +
    `          <snapshots><enabled>true</enabled></snapshots>\n        </repository>\n      </repositories>\n    </profile>`
  );
}

export function mavenDistributionXml(id: string, endpoint: string): string {
  return (
    `<!-- pom.xml: deploy to Hoard -->\n<distributionManagement>\n  <repository>\n    <id>${id}</id>\n    <url>${endpoint}</url>\n  </repository>\n` +
    `  <snapshotRepository>\n    <id>${id}</id>\n    <url>${endpoint}</url>\n  </snapshotRepository>\n</distributionManagement>`
  );
}

export function gradleRepositoryName(domain: string, repository: string): string {
  return mavenServerId(domain, repository).replace(/[^A-Za-z0-9]/g, '');
}

export function gradleRepositoryKts(name: string, endpoint: string): string {
  return (
    `// build.gradle.kts\nrepositories {\n    maven {\n        name = "${name}"\n        url = uri("${endpoint}")\n` +
    `        credentials(PasswordCredentials::class)\n    }\n}`
  );
}

export function gradleProperties(name: string, token: string): string[] {
  return [`${name}Username=aws`, `${name}Password=${token}`];
}
