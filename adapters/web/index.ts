// Public surface of the web adapter: `serve` and the routes others add (dashboard, hardening) use these.
export { startWebServer, API_TOKEN_ENV } from './server.ts';
export type { WebContext, WebPlugin, WebRoute, WebServer, WebServerOptions } from './server.ts';
export { HttpError, errorBody, requireBearer, sameSecret, sendJson } from './http.ts';
export { statsHandler } from './stats-route.ts';
