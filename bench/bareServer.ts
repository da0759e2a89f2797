// A bare Fastify POST route returning a fixed JSON: the baseline that makes serving figures comparable
// across machines (PROTOCOL.md section 4).
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const fixed = { decisionId: 'fixed', actions: [{ actionId: 'A', propensity: 0.1, priority: 1 }] };
app.post('/bare', async () => fixed);
const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening on ${address}`);
