// Captions from any OpenAI-compatible vision endpoint (vLLM, LMDeploy, Ollama, llama.cpp, OpenAI):
// the prepared PNG goes as a base64 data URL in a chat completion.
import type { Captioner, PreparedImage, StageOptions } from '../core/stages.ts';
import type { LlmClientConfig } from '../config/schema.ts';
import { sha256Hex } from '../cache/key.ts';
import { LlmHttpClient, type LlmHttpOptions } from '../llm/http-base.ts';
import { stripThinking } from '../llm/parse.ts';
import { mapLimit } from '../llm/concurrency.ts';

export type OpenAiCaptionerConfig = LlmClientConfig & { prompt: string };

export class OpenAiCaptioner implements Captioner {
  readonly name = 'openai';
  readonly modelId: string;
  /** The prompt decides what a caption says, so it versions the cache entries. */
  readonly templateVersion: string;
  private readonly client: LlmHttpClient;
  private readonly concurrency: number;

  constructor(
    private readonly config: OpenAiCaptionerConfig,
    options: LlmHttpOptions & { concurrency?: number } = {},
  ) {
    this.client = new LlmHttpClient(config, options);
    this.modelId = config.model;
    this.templateVersion = `caption-v1:${sha256Hex(config.prompt).slice(0, 16)}`;
    this.concurrency = options.concurrency ?? 2;
  }

  async caption(images: PreparedImage[], options: StageOptions = {}): Promise<(string | null)[]> {
    return mapLimit(images, this.concurrency, (image) => this.captionOne(image, options));
  }

  private async captionOne(image: PreparedImage, options: StageOptions): Promise<string | null> {
    const completion = await this.client.chat(
      {
        temperature: 0,
        max_tokens: this.config.maxTokens,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: this.config.prompt },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${image.png.toString('base64')}` } },
            ],
          },
        ],
      },
      options,
    );
    const raw = completion.choices[0]?.message?.content ?? '';
    const text = stripThinking(raw).text.replace(/\s+/g, ' ').trim();
    return text || null;
  }
}
