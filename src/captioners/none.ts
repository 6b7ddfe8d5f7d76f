import type { Captioner, PreparedImage } from '../core/stages.ts';

/** No captions: keeps the pipeline shape when no vision model is available. */
export class NoCaptioner implements Captioner {
  readonly name = 'none';
  readonly modelId = 'none';
  async caption(images: PreparedImage[]): Promise<(string | null)[]> {
    return images.map(() => null);
  }
}
