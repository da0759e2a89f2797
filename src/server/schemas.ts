// Wire schemas of the HTTP API (zod), one file per concern in schemas/. They validate requests and feed the
// OpenAPI document; every wire type is defined once, there. (The order below is the order of the document's
// components.)

export * from './schemas/admin.ts';
export * from './schemas/common.ts';
export * from './schemas/customers.ts';
export * from './schemas/decisions.ts';
export * from './schemas/measurement.ts';
export * from './schemas/outbound.ts';
