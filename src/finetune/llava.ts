// LLaVA-style records for VLM fine-tuning with XTuner's LLaVADataset (checked against
// xtuner/dataset/llava.py, which reads a .json array or .jsonl, and
// xtuner/dataset/map_fns/dataset_map_fns/llava_map_fn.py, which expects `conversations` turns
// `from` human/gpt and moves the one `<image>` token to the front of the human turn):
//   {"id": "...", "image": "<path relative to the image folder>",
//    "conversations": [{"from": "human", "value": "<image>\n<prompt>"}, {"from": "gpt", "value": "<answer>"}]}
// The prompt is the `mner-sft` template without a system message (LLaVA turns have no system).
import type { XtunerExport } from '../data/xtuner.ts';

export const IMAGE_TOKEN = '<image>';

export interface LlavaTurn {
  from: 'human' | 'gpt';
  value: string;
}

export interface LlavaRecord {
  id: string;
  image: string;
  conversations: LlavaTurn[];
}

export interface LlavaExport {
  records: LlavaRecord[];
  /** Posts with more than one image: the record uses the first by name (LLaVA takes one image). */
  severalImages: string[];
}

/** Turns built records into LLaVA records; every record's post must have an image in `images`. */
export function toLlavaRecords(
  built: Pick<XtunerExport, 'records' | 'recordIds'>,
  images: ReadonlyMap<string, readonly string[]>,
): LlavaExport {
  const severalImages: string[] = [];
  const records = built.records.map((rec, i) => {
    const id = built.recordIds[i]!;
    const files = images.get(id);
    if (!files?.length) throw new Error(`post ${id} has no image; it should have been reported as a problem`);
    if (files.length > 1) severalImages.push(id);
    const turns: LlavaTurn[] = rec.conversation.flatMap((t, j) => [
      { from: 'human' as const, value: j === 0 ? `${IMAGE_TOKEN}\n${t.input}` : t.input },
      { from: 'gpt' as const, value: t.output },
    ]);
    return { id, image: files[0]!, conversations: turns };
  });
  return { records, severalImages };
}

/** `.json`: one JSON array (LLaVA's own layout), one record a line; anything else: JSONL. */
export function formatLlava(records: readonly LlavaRecord[], file: string): string {
  const lines = records.map((r) => JSON.stringify(r));
  if (file.toLowerCase().endsWith('.json')) return lines.length ? `[\n${lines.join(',\n')}\n]\n` : '[]\n';
  return lines.map((l) => l + '\n').join('');
}
