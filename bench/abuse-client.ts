// The abusers of bench/abuse.ts, in a process of their own so that building and sending their
// bodies costs neither the server's event loop nor its memory (the service is what is measured).
// Driven over IPC: { scenario, port, seconds } in, { statuses } out; { llm: 'hang' | 'answer' } sets
// the captioning LLM's behaviour. The LLM (an OpenAI-compatible emulator) lives here too: a real
// one is another machine, and parsing its requests should not be charged to the service.
import { request, Agent } from 'node:http';
import sharp from 'sharp';
import { drawTextLines } from '../test/support/draw.ts';
import { OpenAiEmulator, completion } from '../test/support/openai-emulator.ts';

const emu = await new OpenAiEmulator().start();
emu.otherwise(completion('a poster with text'));

const agents = new Map<string, Agent>();
const agentFor = (address: string) => {
  let a = agents.get(address);
  if (!a) agents.set(address, (a = new Agent({ keepAlive: true, localAddress: address, maxSockets: 12 })));
  return a;
};

function post(port: number, body: Buffer, from: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/recognize',
        agent: agentFor(from),
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function keepSending(
  port: number,
  make: (n: number) => [Buffer, string],
  concurrency: number,
  stop: () => boolean,
  max = Infinity,
): Promise<number[]> {
  const statuses: number[] = [];
  let n = 0;
  const worker = async () => {
    while (!stop() && n < max) {
      const [body, from] = make(n++);
      statuses.push(await post(port, body, from));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const poster = (await drawTextLines(['Live from London Stadium', 'Organised by the United Nations'], 48, 'jpeg')).toString('base64');
const noise = Buffer.alloc(3000 * 2000 * 3);
for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
const largePhoto = (
  await sharp(noise, { raw: { width: 3000, height: 2000, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer()
).toString('base64');
const largeBody = json({ text: 'holiday', images: [{ data: largePhoto }] });
const megabyteText = json({ text: 'Berlin Paris London '.repeat(52_500) });
const posterBody = (n: number) => json({ text: `poster ${n}`, images: [{ data: poster }] });
const abuser = (n: number) => `127.0.0.${2 + (n % 8)}`;

const scenarios: Record<string, (port: number, stop: () => boolean) => Promise<number[]>> = {
  megabyte: (port, stop) => keepSending(port, () => [megabyteText, abuser(0)], 4, stop),
  uploads: (port, stop) => keepSending(port, (n) => [largeBody, abuser(n)], 40, stop, 40),
  hang: (port, stop) => keepSending(port, (n) => [posterBody(n), abuser(n)], 2, stop),
  flood: (port, stop) =>
    keepSending(port, (n) => [n % 4 === 0 ? posterBody(n) : json({ text: `flood ${n} in Paris` }), abuser(n)], 48, stop),
};

process.on('message', (m: { scenario: string; port: number; seconds: number } | { llm: 'hang' | 'answer' }) => {
  if ('llm' in m) {
    emu.otherwise(m.llm === 'hang' ? { hang: true } : completion('a poster with text'));
    process.send!({ llm: m.llm });
    return;
  }
  const until = Date.now() + m.seconds * 1000;
  void scenarios[m.scenario]!(m.port, () => Date.now() > until).then((statuses) => process.send!({ statuses }));
});
process.send!({ ready: true, largeBytes: largeBody.length, llmBaseURL: emu.baseURL });
