// A Telegram Bot API stand-in on 127.0.0.1: enough of the API for telegraf's long polling,
// replies, file downloads and chat administrators, plus helpers to play the user's side.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { readBody, sendJson, waitFor } from './http-util.ts';

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
  /** The user's interface language (IETF tag), as Telegram sends it. */
  language_code?: string;
}

export interface TgChat {
  id: number;
  type: 'private' | 'group' | 'supergroup';
  title?: string;
  /** Public supergroups have one (t.me/<username>). */
  username?: string;
}

export interface SentMessage {
  message_id: number;
  chat_id: number;
  text: string;
  parse_mode?: string;
  reply_to?: number;
  /** The text as a user would see it: MarkdownV2 escapes and markers removed. */
  plain: string;
  at: number;
}

interface StoredFile {
  bytes: Buffer;
  path: string;
  unique: string;
}

/** A 1x1 PNG: what the small photo sizes hold, so an adapter that picks the wrong size reads nothing. */
const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

const RESERVED = '_*[]()~`>#+-=|{}.!';

/** getFile's limit on the real Bot API (a self-hosted server in --local mode has none). */
export const GETFILE_MAX_BYTES = 20 * 1024 * 1024;

/** Checks MarkdownV2 the way Telegram does for the subset bots use; returns the visible text or an error. */
export function parseMarkdownV2(text: string): { plain: string } | { error: string } {
  let plain = '';
  const open = new Set<string>();
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined) return { error: `Can't parse entities: text ends with a lone backslash` };
      plain += next;
      i++;
      continue;
    }
    if (c === '*' || c === '_' || c === '~' || c === '|' || c === '`') {
      const marker = c === '|' && text[i + 1] === '|' ? '||' : c === '_' && text[i + 1] === '_' ? '__' : c;
      if (marker === '|') return { error: `Can't parse entities: character '|' is reserved and must be escaped with the preceding '\\'` };
      if (open.has(marker)) open.delete(marker);
      else open.add(marker);
      i += marker.length - 1;
      continue;
    }
    if (RESERVED.includes(c)) {
      return { error: `Can't parse entities: character '${c}' is reserved and must be escaped with the preceding '\\'` };
    }
    plain += c;
  }
  if (open.size) return { error: `Can't parse entities: can't find end of ${[...open][0]} entity` };
  return { plain };
}

export class TelegramEmulator extends EventEmitter {
  readonly token: string;
  readonly bot: TgUser = { id: 7000001, is_bot: true, first_name: 'EKMM', username: 'ekmm_test_bot' };
  readonly sent: SentMessage[] = [];
  readonly calls: string[] = [];
  /** The command menu per language_code ('' is the default for every language), from setMyCommands. */
  readonly commandMenus = new Map<string, { command: string; description: string }[]>();
  private readonly updates: ({ update_id: number } & Record<string, unknown>)[] = [];
  private readonly files = new Map<string, StoredFile>();
  private readonly admins = new Map<number, number[]>();
  /** Chats seen in updates, for getChat. */
  private readonly chats = new Map<number, TgChat>();
  private readonly pollers = new Set<() => void>();
  /** Users who never started a private chat with the bot: sendMessage to them is 403, as on Telegram. */
  private readonly unreachable = new Set<number>();
  private readonly failures: { method: string; status: number; retryAfter?: number }[] = [];
  private nextUpdateId = 1;
  private nextMessageId = 1;
  private nextFileId = 1;
  private server!: Server;
  apiRoot = '';
  webhookDeleted = false;
  /** Set by setWebhook; updates then go to `webhookDeliverTo` (the public URL is not reachable here). */
  webhook: { url: string; secret?: string } | undefined;
  webhookDeliverTo: string | undefined;
  readonly webhookStatuses: number[] = [];

  private constructor(token: string) {
    super();
    this.token = token;
    this.setMaxListeners(0);
  }

  static async start(token = '123456:TEST-token-not-secret'): Promise<TelegramEmulator> {
    const emu = new TelegramEmulator(token);
    emu.server = createServer((req, res) => {
      emu.handle(req, res).catch((err: Error) => sendJson(res, 500, { ok: false, error_code: 500, description: err.message }));
    });
    emu.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => emu.server.listen(0, '127.0.0.1', resolve));
    emu.apiRoot = `http://127.0.0.1:${(emu.server.address() as AddressInfo).port}`;
    return emu;
  }

  async close(): Promise<void> {
    for (const wake of this.pollers) wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The Bot API "goes away": the port stops answering (connections refused) until resume(). State is kept. */
  async suspend(): Promise<void> {
    await this.close();
  }

  /** Listens again on the same port, as if the API came back. */
  async resume(): Promise<void> {
    const port = Number(new URL(this.apiRoot).port);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  setAdministrators(chatId: number, userIds: number[]): void {
    this.admins.set(chatId, userIds);
  }

  /** This user has not pressed Start in a private chat with the bot, so the bot cannot write to them first. */
  neverStarted(userId: number): void {
    this.unreachable.add(userId);
  }

  /** The next call of `method` answers with this HTTP status (429 carries retry_after). */
  failNext(method: string, status: number, retryAfter?: number): void {
    this.failures.push({ method, status, ...(retryAfter !== undefined ? { retryAfter } : {}) });
  }

  /** A text message; `entities` are added to the bot_command one a leading /command gets. */
  sendText(chat: TgChat, from: TgUser, text: string, extraEntities: Record<string, unknown>[] = []): number {
    const command = text.startsWith('/') ? [{ type: 'bot_command', offset: 0, length: text.split(/\s/)[0]!.length }] : [];
    const entities = [...command, ...extraEntities];
    return this.push(chat, from, { text, ...(entities.length ? { entities } : {}) });
  }

  /** A photo message: small sizes are a 1x1 placeholder, the largest holds `image`. */
  sendPhoto(chat: TgChat, from: TgUser, image: Buffer, caption?: string): number {
    const small = this.addFile(TINY_PNG, 'jpg');
    const medium = this.addFile(TINY_PNG, 'jpg');
    const large = this.addFile(image, 'jpg');
    const photo = [
      { file_id: small, file_unique_id: `u${small}`, width: 90, height: 40, file_size: TINY_PNG.length },
      { file_id: large, file_unique_id: `u${large}`, width: 1280, height: 560, file_size: image.length },
      { file_id: medium, file_unique_id: `u${medium}`, width: 320, height: 140, file_size: TINY_PNG.length },
    ];
    return this.push(chat, from, { photo, ...(caption ? { caption } : {}) });
  }

  sendDocument(chat: TgChat, from: TgUser, bytes: Buffer, fileName: string, mimeType: string, caption?: string): number {
    const id = this.addFile(bytes, fileName.split('.').pop() ?? 'bin');
    const document = { file_id: id, file_unique_id: `u${id}`, file_name: fileName, mime_type: mimeType, file_size: bytes.length };
    return this.push(chat, from, { document, ...(caption ? { caption } : {}) });
  }

  /** The bot's own membership changed (an administrator removed it: `kicked`; it left: `left`). */
  changeBotMembership(chat: TgChat, by: TgUser, status: 'member' | 'administrator' | 'left' | 'kicked'): void {
    const old = status === 'left' || status === 'kicked' ? 'member' : 'left';
    const member = (s: string) => ({ status: s, user: this.bot, ...(s === 'kicked' ? { until_date: 0 } : {}) });
    this.pushUpdate({
      my_chat_member: {
        chat,
        from: by,
        date: Math.floor(Date.now() / 1000),
        old_chat_member: member(old),
        new_chat_member: member(status),
      },
    });
  }

  repliesTo(messageId: number): SentMessage[] {
    return this.sent.filter((m) => m.reply_to === messageId);
  }

  waitForReply(messageId: number, timeoutMs = 15_000): Promise<SentMessage> {
    return waitFor(() => this.repliesTo(messageId)[0], `a reply to message ${messageId}`, timeoutMs);
  }

  pendingUpdates(): number {
    return this.updates.length;
  }

  private push(chat: TgChat, from: TgUser, content: Record<string, unknown>): number {
    const message_id = this.nextMessageId++;
    this.chats.set(chat.id, chat);
    const message = { message_id, date: Math.floor(Date.now() / 1000), chat, from, ...content };
    this.pushUpdate({ message });
    return message_id;
  }

  private pushUpdate(content: Record<string, unknown>): void {
    const update = { update_id: this.nextUpdateId++, ...content };
    if (this.webhook && this.webhookDeliverTo) {
      void this.deliver(update);
      return;
    }
    this.updates.push(update);
    for (const wake of this.pollers) wake();
  }

  private async deliver(update: unknown): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.webhook?.secret) headers['x-telegram-bot-api-secret-token'] = this.webhook.secret;
    const res = await fetch(this.webhookDeliverTo!, { method: 'POST', headers, body: JSON.stringify(update) });
    await res.arrayBuffer();
    this.webhookStatuses.push(res.status);
  }

  /** While true, every file download answers 502 (a Bot API server that cannot deliver files). */
  failFileDownloads = false;
  /** File downloads asked for (the /file/bot<token>/ route), failed ones included. */
  fileDownloads = 0;

  private addFile(bytes: Buffer, ext: string): string {
    const n = this.nextFileId++;
    const id = `file-${n}`;
    this.files.set(id, { bytes, path: `photos/file_${n}.${ext}`, unique: `u${n}` });
    return id;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.apiRoot);
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (fileMatch) {
      if (fileMatch[1] !== this.token) return sendJson(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const file = [...this.files.values()].find((f) => f.path === fileMatch[2]);
      if (!file) return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      this.fileDownloads++;
      if (this.failFileDownloads) return sendJson(res, 502, { ok: false, error_code: 502, description: 'Bad Gateway' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(file.bytes.length) });
      res.end(req.method === 'HEAD' ? undefined : file.bytes);
      return;
    }
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    if (!m) return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    if (m[1] !== this.token) return sendJson(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = m[2]!;
    const raw = await readBody(req);
    const body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    this.calls.push(method);
    const failure = this.failures.findIndex((f) => f.method === method);
    if (failure !== -1) {
      const f = this.failures.splice(failure, 1)[0]!;
      return sendJson(res, f.status, {
        ok: false,
        error_code: f.status,
        description: f.status === 429 ? `Too Many Requests: retry after ${f.retryAfter ?? 1}` : 'Internal Server Error',
        ...(f.retryAfter !== undefined ? { parameters: { retry_after: f.retryAfter } } : {}),
      });
    }
    const ok = (result: unknown) => sendJson(res, 200, { ok: true, result });
    const bad = (description: string) => sendJson(res, 400, { ok: false, error_code: 400, description: `Bad Request: ${description}` });
    switch (method) {
      case 'getMe':
        return ok(this.bot);
      case 'deleteWebhook':
        this.webhookDeleted = true;
        return ok(true);
      case 'setMyCommands': {
        if (!Array.isArray(body.commands)) return bad('commands must be an array');
        const language = typeof body.language_code === 'string' ? body.language_code : '';
        this.commandMenus.set(language, body.commands as { command: string; description: string }[]);
        return ok(true);
      }
      case 'setWebhook':
        if (typeof body.url !== 'string' || !body.url.startsWith('https://'))
          return bad('bad webhook: HTTPS url must be provided for webhook');
        this.webhook = { url: body.url, ...(typeof body.secret_token === 'string' ? { secret: body.secret_token } : {}) };
        return ok(true);
      case 'getUpdates':
        return this.getUpdates(body, res);
      case 'getFile': {
        const file = this.files.get(String(body.file_id));
        if (!file) return bad('invalid file_id');
        // The Bot API hands out files up to 20 MiB only (telegram-bot-api: 20 << 20), whatever their size.
        if (file.bytes.length > GETFILE_MAX_BYTES) return bad('file is too big');
        return ok({ file_id: body.file_id, file_unique_id: file.unique, file_size: file.bytes.length, file_path: file.path });
      }
      case 'getChatAdministrators': {
        const chatId = Number(body.chat_id);
        if (chatId > 0) return bad('there are no administrators in the private chat');
        const ids = this.admins.get(chatId) ?? [];
        return ok(
          ids.map((id, i) => ({ status: i === 0 ? 'creator' : 'administrator', user: { id, is_bot: false, first_name: `admin${id}` } })),
        );
      }
      case 'getChat': {
        const chat = this.chats.get(Number(body.chat_id));
        return chat ? ok(chat) : bad('chat not found');
      }
      case 'sendMessage':
        if (this.unreachable.has(Number(body.chat_id))) {
          return sendJson(res, 403, { ok: false, error_code: 403, description: "Forbidden: bot can't initiate conversation with a user" });
        }
        return this.sendMessage(body, ok, bad);
      default:
        return sendJson(res, 404, { ok: false, error_code: 404, description: `Not Found: method ${method} is not emulated` });
    }
  }

  private sendMessage(body: Record<string, unknown>, ok: (r: unknown) => void, bad: (d: string) => void): void {
    const text = typeof body.text === 'string' ? body.text : '';
    if (!text.trim()) return bad('message text is empty');
    if (text.length > 4096) return bad('message is too long');
    let plain = text;
    if (body.parse_mode === 'MarkdownV2') {
      const parsed = parseMarkdownV2(text);
      if ('error' in parsed) return bad(parsed.error);
      plain = parsed.plain;
    }
    const params = body.reply_parameters as { message_id?: number } | undefined;
    const replyTo = params?.message_id ?? (body.reply_to_message_id as number | undefined);
    const sent: SentMessage = {
      message_id: this.nextMessageId++,
      chat_id: Number(body.chat_id),
      text,
      plain,
      ...(typeof body.parse_mode === 'string' ? { parse_mode: body.parse_mode } : {}),
      ...(replyTo !== undefined ? { reply_to: replyTo } : {}),
      at: performance.now(),
    };
    this.sent.push(sent);
    this.emit('sent', sent);
    ok({
      message_id: sent.message_id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: sent.chat_id, type: sent.chat_id > 0 ? 'private' : 'group' },
      from: this.bot,
      text: plain,
    });
  }

  private getUpdates(body: Record<string, unknown>, res: ServerResponse): void {
    const offset = typeof body.offset === 'number' ? body.offset : 0;
    const limit = typeof body.limit === 'number' ? Math.min(Math.max(body.limit, 1), 100) : 100;
    const timeoutS = typeof body.timeout === 'number' ? body.timeout : 0;
    // Confirming an offset forgets every earlier update, as the real API does.
    while (this.updates.length && this.updates[0]!.update_id < offset) this.updates.shift();
    const answer = () => sendJson(res, 200, { ok: true, result: this.updates.slice(0, limit) });
    if (this.updates.length || timeoutS <= 0) return answer();
    let timer: NodeJS.Timeout | undefined;
    const wake = () => {
      clearTimeout(timer);
      this.pollers.delete(wake);
      if (!res.writableEnded && !res.destroyed) answer();
    };
    timer = setTimeout(wake, timeoutS * 1000);
    this.pollers.add(wake);
    res.on('close', () => {
      clearTimeout(timer);
      this.pollers.delete(wake);
    });
  }
}
