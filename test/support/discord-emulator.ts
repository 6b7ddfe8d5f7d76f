// A Discord stand-in on 127.0.0.1: the REST routes discord.js uses (gateway info, users/@me,
// applications, channel messages, command registration, interaction callbacks and webhook
// edits), a gateway WebSocket (HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME,
// dispatches) and a CDN-like route serving attachment bytes. Threads and forum posts arrive as
// Discord sends them: active threads in GUILD_CREATE, new ones as THREAD_CREATE (type 11/12 with
// parent_id), a forum post as a thread in a type-15 channel whose starter message has the thread's id.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { readBody, sendJson, waitFor } from './http-util.ts';

export interface DcUser {
  id: string;
  username: string;
  bot?: boolean;
}

/** A guild channel: a text channel (type 0, the default) or a forum (type 15, posts only as threads). */
export interface DcChannel {
  id: string;
  name: string;
  type?: 'text' | 'forum';
}

/** A thread under a text channel, or a forum post (a thread under a forum channel). */
export interface DcThread {
  id: string;
  name: string;
  parentId: string;
  private?: boolean;
}

export interface DcGuild {
  id: string;
  name: string;
  channels: DcChannel[];
  /** Active threads the bot sees when it connects (GUILD_CREATE `threads`). */
  threads?: DcThread[];
  /** The guild's preferred locale (default en-US). */
  preferredLocale?: string;
  /** Roles besides @everyone. */
  roles?: { id: string; name: string }[];
}

/** A user the message mentions as <@id>, with the member's server nickname and global name. */
export interface DcMention {
  user: DcUser;
  nick?: string;
  globalName?: string;
}

export interface BotMessage {
  id: string;
  channel_id: string;
  content: string;
  reply_to?: string;
  allowed_mentions?: unknown;
}

export interface InteractionRecord {
  id: string;
  token: string;
  /** Callback payloads, in order (type 4 reply, type 5 deferred). */
  callbacks: { type: number; data?: { content?: string; flags?: number } }[];
  /** Edits of the original response and follow-ups, in order. */
  edits: { content?: string }[];
}

interface Session {
  socket: WebSocket;
  seq: number;
  id: string;
  identified: boolean;
  /** [shard id, shard count] from IDENTIFY; [0, 1] when the client does not shard. */
  shard: [number, number];
}

/** Discord's rule: a guild lives on shard (guild_id >> 22) % shard_count. */
export function shardOfGuild(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

const PERM_MANAGE_GUILD = 1n << 5n;
const CHANNEL_TYPE = { text: 0, forum: 15 } as const;
const PUBLIC_THREAD = 11;
const PRIVATE_THREAD = 12;
let snowflake = 1_300_000_000_000_000_000n;
const nextId = () => String(++snowflake);

export class DiscordEmulator {
  readonly token: string;
  readonly botUser: DcUser = { id: '900000000000000001', username: 'ekmm-bot', bot: true };
  readonly applicationId = '900000000000000001';
  readonly botMessages: BotMessage[] = [];
  readonly interactions = new Map<string, InteractionRecord>();
  readonly commands: { name: string; type?: number; default_member_permissions?: string | null }[] = [];
  readonly restCalls: string[] = [];
  readonly identifies: { intents: number; shard: [number, number] }[] = [];
  /** The `shards` GET /gateway/bot recommends (what discord.shards: auto uses). */
  recommendedShards = 1;
  resumes = 0;
  private readonly guilds: DcGuild[] = [];
  private readonly attachments = new Map<string, { bytes: Buffer; contentType: string }>();
  /** Paths of the attachment downloads (GETs; a HEAD is not one) asked for, in order, failed ones included. */
  readonly attachmentFetches: string[] = [];
  /** While true, every attachment download answers 502 (a CDN that cannot deliver). */
  failAttachments = false;
  private readonly sessions = new Set<Session>();
  private readonly failures: { pattern: RegExp; status: number; retryAfter?: number }[] = [];
  private server!: Server;
  private wss!: WebSocketServer;
  port = 0;

  private constructor(token: string) {
    this.token = token;
  }

  static async start(token = 'TEST.discord.token-not-secret'): Promise<DiscordEmulator> {
    const emu = new DiscordEmulator(token);
    emu.server = createServer((req, res) => {
      emu.handle(req, res).catch((err: Error) => sendJson(res, 500, { message: err.message, code: 0 }));
    });
    emu.wss = new WebSocketServer({ server: emu.server, path: '/gateway' });
    emu.wss.on('connection', (socket) => emu.onConnection(socket));
    await new Promise<void>((resolve) => emu.server.listen(0, '127.0.0.1', resolve));
    emu.port = (emu.server.address() as AddressInfo).port;
    return emu;
  }

  get apiBase(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get cdnHost(): string {
    return '127.0.0.1';
  }

  async close(): Promise<void> {
    for (const s of this.sessions) s.socket.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Guilds the bot is in; add them before the bot connects. */
  addGuild(guild: DcGuild): void {
    this.guilds.push(guild);
  }

  /** The next REST request whose "METHOD path" matches answers with this status. */
  /** The bot is removed from a guild (kicked, or the guild deleted): GUILD_DELETE without `unavailable`. */
  removeGuild(guildId: string): void {
    const at = this.guilds.findIndex((g) => g.id === guildId);
    if (at !== -1) this.guilds.splice(at, 1);
    this.dispatch('GUILD_DELETE', { id: guildId, guild_id: guildId });
  }

  /** A thread is created in a text channel (THREAD_CREATE, as Discord sends it to bots that can see the parent). */
  createThread(guildId: string, thread: Omit<DcThread, 'id'> & { id?: string }): string {
    const guild = this.guilds.find((g) => g.id === guildId);
    if (!guild) throw new Error(`createThread: no guild ${guildId}`);
    if (!guild.channels.some((c) => c.id === thread.parentId))
      throw new Error(`createThread: no channel ${thread.parentId} in guild ${guildId}`);
    const made: DcThread = { ...thread, id: thread.id ?? nextId() };
    (guild.threads ??= []).push(made);
    this.dispatch('THREAD_CREATE', { ...this.threadShape(guildId, made), newly_created: true });
    return made.id;
  }

  /**
   * A user opens a post in a forum channel: THREAD_CREATE for the post's thread, then the starter
   * message, whose id is the thread's id (as on Discord). Returns both ids (they are equal).
   */
  createForumPost(opts: {
    guildId: string;
    forumId: string;
    title: string;
    author: DcUser;
    content: string;
    mentionBot?: boolean;
    attachments?: { filename: string; bytes: Buffer; contentType: string; host?: string }[];
  }): { threadId: string; messageId: string } {
    const guild = this.guilds.find((g) => g.id === opts.guildId);
    const forum = guild?.channels.find((c) => c.id === opts.forumId);
    if (forum?.type !== 'forum') throw new Error(`createForumPost: ${opts.forumId} is not a forum channel`);
    const threadId = this.createThread(opts.guildId, { name: opts.title, parentId: opts.forumId });
    const messageId = this.postMessage({
      guildId: opts.guildId,
      channelId: threadId,
      author: opts.author,
      content: opts.content,
      id: threadId,
      ...(opts.mentionBot ? { mentionBot: true } : {}),
      ...(opts.attachments ? { attachments: opts.attachments } : {}),
    });
    return { threadId, messageId };
  }

  failNext(pattern: RegExp, status: number, retryAfter?: number): void {
    this.failures.push({ pattern, status, ...(retryAfter !== undefined ? { retryAfter } : {}) });
  }

  /** Drops every gateway connection as a network failure would; the bot should resume. */
  dropGateway(): void {
    for (const s of this.sessions) s.socket.close(4000, 'emulated gateway failure');
  }

  connectedSessions(): number {
    return [...this.sessions].filter((s) => s.identified).length;
  }

  /** A user posts a message; returns its id. Attachments are served from the emulator's CDN route. */
  postMessage(opts: {
    guildId: string;
    channelId: string;
    author: DcUser;
    content: string;
    mentionBot?: boolean;
    attachments?: { filename: string; bytes: Buffer; contentType: string; host?: string }[];
    /** Users mentioned in `content` (as Discord sends them: user objects with a partial member). */
    mentions?: DcMention[];
    /** Role ids mentioned in `content`. */
    mentionRoles?: string[];
    /** The message id (a forum post's starter message has its thread's id). */
    id?: string;
  }): string {
    const id = opts.id ?? nextId();
    const attachments = (opts.attachments ?? []).map((a) => {
      const attId = nextId();
      const path = `/attachments/${opts.channelId}/${attId}/${a.filename}`;
      this.attachments.set(path, { bytes: a.bytes, contentType: a.contentType });
      const url = `http://${a.host ?? this.cdnHost}:${this.port}${path}`;
      return {
        id: attId,
        filename: a.filename,
        size: a.bytes.length,
        url,
        proxy_url: url,
        content_type: a.contentType,
        width: 800,
        height: 200,
      };
    });
    const content = opts.mentionBot ? `<@${this.botUser.id}> ${opts.content}` : opts.content;
    const message = {
      ...this.messageShape(id, opts.channelId, opts.author, content),
      guild_id: opts.guildId,
      member: this.memberShape(opts.author, 0n),
      attachments,
      mentions: [
        ...(opts.mentionBot ? [this.botUser] : []),
        ...(opts.mentions ?? []).map((m) => ({
          ...m.user,
          discriminator: '0',
          avatar: null,
          global_name: m.globalName ?? null,
          member: { nick: m.nick ?? null, roles: [], joined_at: '2025-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0 },
        })),
      ],
      mention_roles: opts.mentionRoles ?? [],
    };
    this.dispatch('MESSAGE_CREATE', message);
    return id;
  }

  /** A slash command; `manageGuild` sets the member's ManageGuild permission. Returns the interaction id. */
  slashCommand(opts: {
    guildId: string;
    channelId: string;
    user: DcUser;
    name: string;
    /** Subcommands (type 1) carry their own options, as Discord sends them. */
    options?: { name: string; type: number; value?: string | number; options?: { name: string; type: number; value: string | number }[] }[];
    manageGuild?: boolean;
  }): string {
    const options = opts.options ?? [];
    // Channel options arrive as ids with the channel objects under data.resolved, as Discord sends them.
    const channels: Record<string, unknown> = {};
    const guild = this.guilds.find((g) => g.id === opts.guildId);
    for (const o of options.flatMap((x) => [x, ...(x.options ?? [])])) {
      if (o.type !== 7) continue;
      const c = guild?.channels.find((ch) => ch.id === String(o.value));
      if (c)
        channels[c.id] = {
          id: c.id,
          name: c.name,
          type: CHANNEL_TYPE[c.type ?? 'text'],
          permissions: '1071698660929',
          guild_id: opts.guildId,
        };
    }
    const data = { type: 1, name: opts.name, options, ...(Object.keys(channels).length ? { resolved: { channels } } : {}) };
    return this.interaction(opts.guildId, opts.channelId, opts.user, opts.manageGuild ?? false, data);
  }

  /** The "Recognize entities" message context-menu command on a message with this content. */
  messageCommand(opts: {
    guildId: string;
    channelId: string;
    user: DcUser;
    name: string;
    target: { author: DcUser; content: string };
  }): string {
    const targetId = nextId();
    const target = {
      ...this.messageShape(targetId, opts.channelId, opts.target.author, opts.target.content),
      attachments: [],
      mentions: [],
    };
    return this.interaction(opts.guildId, opts.channelId, opts.user, false, {
      type: 3,
      name: opts.name,
      target_id: targetId,
      resolved: { messages: { [targetId]: target } },
    });
  }

  repliesTo(messageId: string): BotMessage[] {
    return this.botMessages.filter((m) => m.reply_to === messageId);
  }

  waitForReply(messageId: string, timeoutMs = 15_000): Promise<BotMessage> {
    return waitFor(() => this.repliesTo(messageId)[0], `a bot reply to message ${messageId}`, timeoutMs);
  }

  /** The text the user finally sees for an interaction: the last edit, else the immediate reply. */
  interactionText(id: string): string | undefined {
    const rec = this.interactions.get(id);
    if (!rec) return undefined;
    const edit = rec.edits.at(-1);
    if (edit?.content !== undefined) return edit.content;
    return rec.callbacks.find((c) => c.type === 4)?.data?.content;
  }

  waitForInteractionText(id: string, timeoutMs = 15_000): Promise<string> {
    return waitFor(() => this.interactionText(id), `a response to interaction ${id}`, timeoutMs);
  }

  private interaction(guildId: string, channelId: string, user: DcUser, manageGuild: boolean, data: Record<string, unknown>): string {
    const id = nextId();
    const token = `itoken-${id}`;
    this.interactions.set(id, { id, token, callbacks: [], edits: [] });
    const guild = this.guilds.find((g) => g.id === guildId);
    const channel = guild?.channels.find((c) => c.id === channelId);
    const thread = guild?.threads?.find((t) => t.id === channelId);
    this.dispatch('INTERACTION_CREATE', {
      id,
      application_id: this.applicationId,
      type: 2,
      data: { id: nextId(), ...data },
      guild_id: guildId,
      channel_id: channelId,
      channel: thread
        ? this.threadShape(guildId, thread)
        : { id: channelId, type: CHANNEL_TYPE[channel?.type ?? 'text'], name: channel?.name ?? 'channel', guild_id: guildId },
      member: this.memberShape(user, manageGuild ? PERM_MANAGE_GUILD : 0n),
      token,
      version: 1,
      app_permissions: '2248473465835073',
      locale: 'en-US',
      guild_locale: guild?.preferredLocale ?? 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guildId },
      context: 0,
    });
    return id;
  }

  private messageShape(id: string, channelId: string, author: DcUser, content: string) {
    return {
      id,
      channel_id: channelId,
      author: { ...author, discriminator: '0', avatar: null, global_name: author.username },
      content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mention_roles: [],
      embeds: [],
      pinned: false,
      type: 0,
      flags: 0,
      components: [],
    };
  }

  private memberShape(user: DcUser, permissions: bigint) {
    return {
      user: { ...user, discriminator: '0', avatar: null, global_name: user.username },
      roles: [],
      joined_at: '2025-01-01T00:00:00.000Z',
      deaf: false,
      mute: false,
      flags: 0,
      permissions: String(permissions),
    };
  }

  private dispatch(t: string, d: unknown): void {
    const guildId = (d as { guild_id?: unknown }).guild_id;
    for (const s of this.sessions) {
      if (!s.identified) continue;
      // Guild events go only to the shard that owns the guild, as on Discord.
      if (typeof guildId === 'string' && shardOfGuild(guildId, s.shard[1]) !== s.shard[0]) continue;
      s.seq++;
      s.socket.send(JSON.stringify({ op: 0, t, s: s.seq, d }));
    }
  }

  private onConnection(socket: WebSocket): void {
    const session: Session = { socket, seq: 0, id: '', identified: false, shard: [0, 1] };
    this.sessions.add(session);
    socket.on('close', () => this.sessions.delete(session));
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null }));
    socket.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> | number | null };
      if (msg.op === 1) {
        socket.send(JSON.stringify({ op: 11 }));
      } else if (msg.op === 2) {
        const d = msg.d as { token: string; intents: number; shard?: [number, number] };
        if (d.token !== this.token) return socket.close(4004, 'Authentication failed.');
        const shard: [number, number] = d.shard ?? [0, 1];
        if (!(shard[1] >= 1 && shard[0] >= 0 && shard[0] < shard[1])) return socket.close(4010, 'Invalid shard.');
        this.identifies.push({ intents: d.intents, shard });
        session.shard = shard;
        session.identified = true;
        session.id = `session-${nextId()}`;
        this.sendTo(session, 'READY', {
          v: 10,
          user: { ...this.botUser, discriminator: '0', avatar: null, global_name: null, verified: true, flags: 0 },
          guilds: this.shardGuilds(shard).map((g) => ({ id: g.id, unavailable: true })),
          session_id: session.id,
          resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
          application: { id: this.applicationId, flags: 0 },
          shard,
        });
        for (const g of this.shardGuilds(shard)) this.sendTo(session, 'GUILD_CREATE', this.guildShape(g));
      } else if (msg.op === 6) {
        const d = msg.d as { token: string; session_id: string; seq: number };
        if (d.token !== this.token) return socket.close(4004, 'Authentication failed.');
        this.resumes++;
        session.identified = true;
        session.id = d.session_id;
        session.seq = d.seq;
        this.sendTo(session, 'RESUMED', {});
      }
    });
  }

  private shardGuilds(shard: [number, number]): DcGuild[] {
    return this.guilds.filter((g) => shardOfGuild(g.id, shard[1]) === shard[0]);
  }

  private sendTo(session: Session, t: string, d: unknown): void {
    session.seq++;
    session.socket.send(JSON.stringify({ op: 0, t, s: session.seq, d }));
  }

  private guildShape(g: DcGuild) {
    return {
      id: g.id,
      name: g.name,
      icon: null,
      owner_id: '1',
      unavailable: false,
      member_count: 3,
      large: false,
      features: [],
      roles: [{ id: g.id, name: '@everyone' }, ...(g.roles ?? [])].map((r, i) => ({
        ...r,
        permissions: i === 0 ? '1071698660929' : '0',
        position: i,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: i > 0,
        flags: 0,
      })),
      emojis: [],
      stickers: [],
      channels: g.channels.map((c, i) => ({
        id: c.id,
        type: CHANNEL_TYPE[c.type ?? 'text'],
        name: c.name,
        guild_id: g.id,
        position: i,
        permission_overwrites: [],
        nsfw: false,
        parent_id: null,
        ...(c.type === 'forum'
          ? { available_tags: [], default_reaction_emoji: null, default_sort_order: null, default_forum_layout: 0 }
          : {}),
      })),
      threads: (g.threads ?? []).map((t) => this.threadShape(g.id, t)),
      members: [],
      voice_states: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      joined_at: '2025-01-01T00:00:00.000Z',
      preferred_locale: g.preferredLocale ?? 'en-US',
      premium_tier: 0,
      system_channel_flags: 0,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
    };
  }

  private threadShape(guildId: string, t: DcThread) {
    const now = new Date().toISOString();
    return {
      id: t.id,
      guild_id: guildId,
      parent_id: t.parentId,
      owner_id: '1',
      type: t.private ? PRIVATE_THREAD : PUBLIC_THREAD,
      name: t.name,
      last_message_id: null,
      message_count: 0,
      member_count: 1,
      rate_limit_per_user: 0,
      total_message_sent: 0,
      flags: 0,
      applied_tags: [],
      thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: now, locked: false, create_timestamp: now },
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const path = url.pathname;
    if (path.startsWith('/attachments/')) {
      const file = this.attachments.get(path);
      if (!file) return sendJson(res, 404, { message: 'Unknown attachment', code: 0 });
      if (req.method !== 'HEAD') this.attachmentFetches.push(path);
      if (this.failAttachments) return sendJson(res, 502, { message: 'Bad Gateway', code: 0 });
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.bytes.length) });
      res.end(req.method === 'HEAD' ? undefined : file.bytes);
      return;
    }
    const m = /^\/api\/v\d+(\/.*)$/.exec(path);
    if (!m) return sendJson(res, 404, { message: '404: Not Found', code: 0 });
    const route = decodeURIComponent(m[1]!);
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    this.restCalls.push(`${method} ${route}`);
    const isWebhook = route.startsWith('/webhooks/') || route.startsWith('/interactions/');
    if (!isWebhook && req.headers.authorization !== `Bot ${this.token}`)
      return sendJson(res, 401, { message: '401: Unauthorized', code: 0 });
    const failure = this.failures.findIndex((f) => f.pattern.test(`${method} ${route}`));
    if (failure !== -1) {
      const f = this.failures.splice(failure, 1)[0]!;
      if (f.status === 429) {
        const after = f.retryAfter ?? 0.2;
        return sendJson(
          res,
          429,
          { message: 'You are being rate limited.', retry_after: after, global: false },
          { 'retry-after': String(Math.ceil(after)), 'x-ratelimit-scope': 'user' },
        );
      }
      return sendJson(res, f.status, { message: 'Internal Server Error', code: 0 });
    }
    const now = new Date().toISOString();
    let r: RegExpExecArray | null;
    if (method === 'GET' && route === '/gateway/bot') {
      return sendJson(res, 200, {
        url: `ws://127.0.0.1:${this.port}/gateway`,
        shards: this.recommendedShards,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
    }
    if (method === 'GET' && route === '/users/@me') return sendJson(res, 200, { ...this.botUser, discriminator: '0', avatar: null });
    if (method === 'GET' && route === '/applications/@me')
      return sendJson(res, 200, { id: this.applicationId, name: 'ekmm', flags: 0, bot_public: false, owner: this.botUser });
    if (method === 'PUT' && (r = /^\/applications\/(\d+)\/(?:guilds\/\d+\/)?commands$/.exec(route))) {
      const list = body as unknown as { name: string; type?: number; default_member_permissions?: string | null }[];
      this.commands.splice(0, this.commands.length, ...list);
      return sendJson(
        res,
        200,
        list.map((c) => ({ ...c, id: nextId(), application_id: this.applicationId, version: '1' })),
      );
    }
    if (method === 'POST' && (r = /^\/channels\/(\d+)\/messages$/.exec(route))) {
      const ref = body.message_reference as { message_id?: string } | undefined;
      const msg: BotMessage = {
        id: nextId(),
        channel_id: r[1]!,
        content: String(body.content ?? ''),
        ...(ref?.message_id ? { reply_to: ref.message_id } : {}),
        ...(body.allowed_mentions ? { allowed_mentions: body.allowed_mentions } : {}),
      };
      if (!msg.content.trim()) return sendJson(res, 400, { message: 'Cannot send an empty message', code: 50006 });
      if (msg.content.length > 2000) return sendJson(res, 400, { message: 'Invalid Form Body', code: 50035 });
      this.botMessages.push(msg);
      return sendJson(res, 200, {
        ...this.messageShape(msg.id, msg.channel_id, this.botUser, msg.content),
        attachments: [],
        mentions: [],
        ...(ref ? { message_reference: ref, type: 19 } : {}),
      });
    }
    if (method === 'POST' && (r = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(route))) {
      const rec = this.interactions.get(r[1]!);
      if (!rec || rec.token !== r[2]) return sendJson(res, 404, { message: 'Unknown interaction', code: 10062 });
      if (rec.callbacks.length) return sendJson(res, 400, { message: 'Interaction has already been acknowledged.', code: 40060 });
      rec.callbacks.push(body as InteractionRecord['callbacks'][number]);
      if (url.searchParams.get('with_response') === 'true') {
        return sendJson(res, 200, {
          interaction: { id: rec.id, type: 2, response_message_loading: body.type === 5, response_message_ephemeral: false },
        });
      }
      res.writeHead(204).end();
      return;
    }
    if ((r = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(route))) {
      const rec = [...this.interactions.values()].find((i) => i.token === r![2]);
      if (!rec) return sendJson(res, 404, { message: 'Unknown Webhook', code: 10015 });
      if (method === 'PATCH' || method === 'POST') {
        const content = typeof body.content === 'string' ? body.content : undefined;
        if (content !== undefined && content.length > 2000) return sendJson(res, 400, { message: 'Invalid Form Body', code: 50035 });
        rec.edits.push(content !== undefined ? { content } : {});
        return sendJson(res, 200, {
          ...this.messageShape(nextId(), '0', this.botUser, content ?? ''),
          attachments: [],
          mentions: [],
          webhook_id: this.applicationId,
          created_at: now,
        });
      }
    }
    return sendJson(res, 404, { message: `404: ${method} ${route} is not emulated`, code: 0 });
  }
}
