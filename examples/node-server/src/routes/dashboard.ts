// The web dashboard (examples/dashboard, built by Vite into its dist/) at `/`: the hashed assets
// under /assets/ (cached for a year), and index.html for the app's own pages (`/`, `/login`,
// `/w/...`) so a reload or a shared link opens the same view. API routes keep their paths and
// their JSON 404s. Without a built dashboard this plugin serves nothing and says so once.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { FastifyReply } from 'fastify';
import type { RoutePlugin } from '../http';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Where the built dashboard is: SIGNALCRAFT_DASHBOARD_DIR, else examples/dashboard/dist. */
export function dashboardDir(): string {
  return process.env.SIGNALCRAFT_DASHBOARD_DIR ?? resolve(__dirname, '..', '..', '..', 'dashboard', 'dist');
}

const dashboard: RoutePlugin = async (app) => {
  const root = dashboardDir();
  const indexPath = join(root, 'index.html');
  if (!existsSync(indexPath)) {
    app.log.warn({ dir: root }, 'no built dashboard (run npm run build in examples/dashboard); / is not served');
    return;
  }
  const assetDir = join(root, 'assets');
  // Read on each request (a rebuild shows without a restart); names are checked against the
  // directory's own listing, so nothing outside it can be named.
  const page = (reply: FastifyReply) =>
    reply.header('Cache-Control', 'no-cache').type('text/html; charset=utf-8').send(readFileSync(indexPath));

  app.get('/', async (_req, reply) => page(reply));
  app.get('/login', async (_req, reply) => page(reply));
  app.get('/w/*', async (_req, reply) => page(reply));
  app.get<{ Params: { name: string } }>('/assets/:name', async (req, reply) => {
    const name = req.params.name;
    const type = TYPES[extname(name)];
    if (!type || !existsSync(assetDir) || !readdirSync(assetDir).includes(name)) return reply.callNotFound();
    return reply.header('Cache-Control', 'public, max-age=31536000, immutable').type(type).send(readFileSync(join(assetDir, name)));
  });
};

export default dashboard;
