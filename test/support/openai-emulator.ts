// A real HTTP server on 127.0.0.1 speaking enough of the OpenAI API for tests: the test scripts
// each answer and afterwards inspects what the client sent.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined for GET). */
  body: Record<string, unknown> | undefined;
}

export interface ScriptedReply {
  status?: number;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent verbatim (takes precedence over json). */
  raw?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (to trip client timeouts). */
  delayMs?: number;
  /** Never answer: hold the request until the client goes (an LLM that hangs). */
  hang?: boolean;
  /** Stream a JSON-looking body of this many bytes without Content-Length (a runaway answer). */
  bodyBytes?: number;
}

export type Script = ScriptedReply | ((req: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>);

export function completion(content: string, finishReason: 'stop' | 'length' = 'stop', model = 'emu-model'): ScriptedReply {
  return {
    json: {
      id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
      usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
    },
  };
}

export function httpError(status: number, message = 'scripted error'): ScriptedReply {
  return { status, json: { error: { message, type: 'invalid_request_error', code: null } } };
}

export class OpenAiEmulator {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: Script[] = [];
  private server: Server | undefined;
  private fallback: Script = httpError(500, 'emulator: no scripted answer left');
  baseURL = '';
  /** Bytes of the last `bodyBytes` answer actually written (the client may stop reading early). */
  streamed = 0;

  /** Answers for the next requests, in order. */
  script(...replies: Script[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Forgets scripted answers not yet used and the recorded requests. */
  reset(): this {
    this.queue.length = 0;
    this.requests.length = 0;
    return this;
  }

  get pendingScripts(): number {
    return this.queue.length;
  }

  private embedder: ((input: string) => number[]) | undefined;

  /** Serves POST /v1/embeddings: one vector per input string (an image data URL or a text). */
  embeddings(embed: (input: string) => number[]): this {
    this.embedder = embed;
    return this;
  }

  get embeddingRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/v1/embeddings');
  }

  /** Answer for requests once the scripted queue is empty. */
  otherwise(reply: Script): this {
    this.fallback = reply;
    return this;
  }

  get chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/v1/chat/completions');
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const recorded: RecordedRequest = {
          method: req.method ?? '',
          path: (req.url ?? '').split('?')[0] ?? '',
          headers: req.headers,
          body: undefined,
        };
        try {
          recorded.body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: 'emulator: request body is not JSON' } }));
          return;
        }
        this.requests.push(recorded);
        let reply: ScriptedReply;
        if (recorded.method === 'GET' && recorded.path === '/v1/models') {
          reply = { json: { object: 'list', data: [{ id: 'emu-model', object: 'model', created: 0, owned_by: 'emulator' }] } };
        } else if (recorded.method === 'POST' && recorded.path === '/v1/embeddings' && this.embedder) {
          const input = recorded.body?.input;
          const inputs = (Array.isArray(input) ? input : [input]).map(String);
          const data = inputs.map((text, index) => ({ object: 'embedding', index, embedding: this.embedder!(text) }));
          reply = {
            json: {
              object: 'list',
              data,
              model: recorded.body?.model,
              usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
            },
          };
        } else if (recorded.method === 'POST' && recorded.path === '/v1/chat/completions') {
          const script = this.queue.shift() ?? this.fallback;
          reply = typeof script === 'function' ? await script(recorded) : script;
        } else {
          reply = httpError(404, `emulator: no route ${recorded.method} ${recorded.path}`);
        }
        if (reply.hang) return;
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        if (res.destroyed) return;
        if (reply.bodyBytes) {
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          const block = Buffer.alloc(64 * 1024, 'a');
          let sent = 0;
          this.streamed = 0;
          const pump = (): void => {
            while (sent < reply.bodyBytes! && !res.destroyed) {
              sent += block.length;
              this.streamed = sent;
              if (!res.write(block)) return void res.once('drain', pump);
            }
            res.end();
          };
          res.write('{"choices":"');
          pump();
          return;
        }
        const body = reply.raw ?? JSON.stringify(reply.json ?? {});
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseURL = `http://127.0.0.1:${port}/v1`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

/** The text of the user message(s) of a chat request, joined. */
export function userText(req: RecordedRequest): string {
  const messages = (req.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  return messages
    .filter((m) => m.role === 'user')
    .map((m) =>
      typeof m.content === 'string' ? m.content : (m.content as Array<{ type: string; text?: string }>).map((p) => p.text ?? '').join('\n'),
    )
    .join('\n');
}
