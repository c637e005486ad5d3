// The lifecycle every upstream fixture (npm registry, PyPI index, Maven repository) shares: an HTTP
// server on 127.0.0.1 (a free port, or a given one to come back on), the connections it holds so
// stop() can drop them all (the upstream is down: connections refused), and extra listeners on
// other ports (another origin, as an index serving its files from another host).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export abstract class FixtureServer {
  private servers: http.Server[] = [];
  private readonly sockets = new Set<Socket>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;

  async start(port = 0): Promise<this> {
    this.port = await this.listen(port);
    return this;
  }

  /** Listens on one more port (0 = a free one) with the same handler; returns the port. */
  protected async listen(port: number): Promise<number> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 30_000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  /** Closes every listener and connection: the upstream is down (connections refused). */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers = [];
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    await this.start(this.port);
  }
}
