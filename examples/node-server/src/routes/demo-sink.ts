// The demo's loopback sink: the demo workspace's webhook channel posts here, so deliveries
// visibly succeed without anything outside the machine. Served only with --demo.
import type { RoutePlugin } from '../http';

const demoSink: RoutePlugin = async (app) => {
  let received = 0;
  let last: unknown = null;
  app.post('/demo/sink', async (req, reply) => {
    received += 1;
    last = req.body ?? null;
    req.log.info({ received }, 'demo sink received a delivery');
    return reply.code(204).send();
  });
  app.get('/demo/sink', async () => ({ received, last }));
};

export default demoSink;
