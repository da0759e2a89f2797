// `npm run docs:client`: writes the typed client's types (src/client/openapi.ts) from the OpenAPI document the
// server serves at /docs/json (built in-process on an in-memory store), with openapi-typescript. Run it after a
// route or schema changes; test/client/client.test.ts fails while the file is not what the document makes.
import { writeFileSync } from 'node:fs';
import { CLIENT_TYPES_PATH, clientTypesSource, openApiDocument } from './clientTypes.ts';

writeFileSync(CLIENT_TYPES_PATH, await clientTypesSource(await openApiDocument()));
console.log(`written: ${CLIENT_TYPES_PATH}`);
