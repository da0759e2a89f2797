// A sample shop page that shows nextbest's next best actions through the browser snippet: the shop's backend signs
// who the visitor is (a customer token, here with jose) and puts it, the publishable key and the snippet's script
// tag into the page. Run beside a nextbest server:
//
//   NEXTBEST_URL=http://127.0.0.1:8080 NEXTBEST_PUBLISHABLE_KEY=nbp_… NEXTBEST_CUSTOMER_TOKEN_SECRET=… \
//     node examples/web/shop.mjs --port 3000 --customer C00042
//
// then open http://127.0.0.1:3000 (an origin the publishable key names). Without --customer the visitor is anonymous.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';

const html = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

/** The customer token: a JWT (HS256) naming the customer in `sub`, valid for an hour. */
export function customerToken(customerId, secret) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(customerId)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
}

export async function shopPage({ nextbestUrl, key, secret, customerId, lang = 'en' }) {
  const token = customerId ? await customerToken(customerId, secret) : undefined;
  return `<!doctype html>
<html lang="${html(lang)}">
<meta charset="utf-8">
<title>Example Telco shop</title>
<style>
  body { font: 16px system-ui, sans-serif; margin: 2rem auto; max-width: 50rem; }
  .slot { border: 1px solid #ccc; border-radius: 8px; padding: 1rem; margin: 1rem 0; min-height: 4rem; }
  .nextbest-offer { display: grid; gap: .4rem; }
  .nextbest-title { font-size: 1.2rem; }
  .nextbest-dismiss { justify-self: start; }
</style>
<h1>Example Telco</h1>
<p>${customerId ? `Signed in as ${html(customerId)}` : 'Welcome, visitor'}</p>
<div class="slot" data-nextbest>Our offers for you</div>
<div class="slot" data-nextbest>More from Example Telco</div>
<script src="${html(nextbestUrl)}/snippet.js" data-key="${html(key)}" data-channel="web"
  ${token ? `data-customer-token="${html(token)}"` : ''} data-context='{"intent":"browse"}' async></script>
</html>`;
}

/** Serves the page (and a 404 for the offers' links) until close(); answers its URL. */
export async function startShop(options) {
  const server = createServer(async (request, response) => {
    if (request.url !== '/' && !request.url.startsWith('/?')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`the shop has no page ${request.url}`);
      return;
    }
    const page = await shopPage(options);
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  await new Promise((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address();
  return { url: `http://${address}:${port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '3000' },
      customer: { type: 'string' },
      lang: { type: 'string' },
    },
  });
  const env = process.env;
  for (const name of ['NEXTBEST_URL', 'NEXTBEST_PUBLISHABLE_KEY'])
    if (!env[name]) throw new Error(`${name} is not set`);
  if (values.customer && !env.NEXTBEST_CUSTOMER_TOKEN_SECRET)
    throw new Error('NEXTBEST_CUSTOMER_TOKEN_SECRET is needed to sign the customer token');
  const shop = await startShop({
    nextbestUrl: env.NEXTBEST_URL,
    key: env.NEXTBEST_PUBLISHABLE_KEY,
    secret: env.NEXTBEST_CUSTOMER_TOKEN_SECRET,
    customerId: values.customer,
    lang: values.lang,
    port: Number(values.port),
  });
  console.log(`Example shop: ${shop.url}`);
}
