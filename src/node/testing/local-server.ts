/** A test HTTP server on 127.0.0.1 (an ephemeral port), for the Hub clients' tests. */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer {
  readonly server: Server;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** Drops open connections and stops listening. */
  close(): Promise<void>;
}

export async function startLocalServer(route: RequestListener): Promise<LocalServer> {
  const server = createServer(route);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
