// Public surface of the web adapter: `serve`, the chat adapters and the statistics routes use these.
export { startWebServer } from './server.ts';
export type { RecognitionService, RouteContext, RouteHandler, WebRoute, WebServer, WebServerOptions } from './server.ts';
export { HttpError, readBody, sendJson } from './http.ts';
