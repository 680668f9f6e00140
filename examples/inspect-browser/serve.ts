/**
 * `npx tsx examples/inspect-browser/serve.ts`: serves the browser example on http://127.0.0.1:8090
 * (`--port N` for another port, 0 for any free one; a free one also when 8090 is taken).
 *
 * `main.ts` is bundled with esbuild (already installed: tsup and tsx are built on it) on every
 * request for `/main.js`, so an edit shows on reload. Everything runs offline except the
 * Stately inspector itself, which the page opens from https://stately.ai/inspect. Ctrl-C stops.
 * Offline, `npm run dashboard` (examples/dashboard.ts) draws breakers and any actor with no internet.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

/** `main.ts` and what it imports (the breaker's sources, @statelyai/inspect, xstate) as one ES module. */
export async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(here, 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no output');
  return output.text;
}

/** An HTTP server for the page: `/` (index.html) and `/main.js` (the bundle). Not yet listening. */
export function pageServer(): http.Server {
  return http.createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/' || url.pathname === '/index.html') {
        const html = await readFile(path.join(here, 'index.html'));
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      } else if (url.pathname === '/main.js') {
        const script = await bundlePage();
        response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (error) {
      console.error(error);
      response
        .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`${error instanceof Error ? error.message : String(error)}\n`);
    }
  });
}

/** Listens on 127.0.0.1 (only this machine): on `port`, or any free port when it is taken. */
export function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' && port !== 0) {
        server.listen(0, '127.0.0.1');
      } else {
        server.off('error', onError);
        reject(error);
      }
    };
    server.on('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
    server.listen(port, '127.0.0.1');
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8090' } } });
  const requested = Number(values.port);
  if (!Number.isInteger(requested) || requested < 0) {
    console.error('usage: tsx examples/inspect-browser/serve.ts [--port N]');
    process.exitCode = 2;
    return;
  }
  await bundlePage(); // fail early, with esbuild's message, if the page does not build
  const server = pageServer();
  const port = await listen(server, requested);
  console.log(`Browser example: http://127.0.0.1:${port}  (press Start there; Ctrl-C here stops)`);
  const stop = () => {
    server.close();
    server.closeAllConnections();
    console.log('stopped');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// Run only as a script, not when a test imports the helpers.
if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  await main();
}
