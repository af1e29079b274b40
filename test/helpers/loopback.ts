// Test servers listen on 127.0.0.1 at a port the OS picks, and close with their open connections.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A listening loopback server. */
export interface Listening {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Drops open (keep-alive) connections, then waits for the server to close. */
  close: () => Promise<void>;
}

/** Listen on 127.0.0.1, port 0. */
export async function listenLoopback(server: http.Server): Promise<Listening> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return { port, url: `http://127.0.0.1:${port}`, close };
}
