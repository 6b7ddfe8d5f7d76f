// Writes an XTuner v0.x config (a Python file for `xtuner train`) for an exported data file.
// Written for this project from reading XTuner's own files, not copied from them:
// - xtuner/configs/custom_dataset/sft/qwen/qwen1_5_7b_chat_qlora_custom_sft_e1.py (LLM, openai_map_fn,
//   process_hf_dataset, QLoRA settings, optimizer, scheduler, hooks);
// - xtuner/configs/llava/llama3_8b_instruct_clip_vit_large_p14_336/finetune/
//   llava_llama3_8b_instruct_qlora_clip_vit_large_p14_336_e1_gpu1_finetune.py (LLaVAModel, LLaVADataset,
//   llava_map_fn, pretrained projector, LengthGroupedSampler);
// - xtuner/utils/templates.py (PROMPT_TEMPLATE names);
// - xtuner/dataset/map_fns/dataset_map_fns/openai_map_fn.py, llava_map_fn.py, template_map_fn.py.
import type { RecordFormat } from './check.ts';
import { TEMPLATE_OVERHEAD_PER_MESSAGE } from './tokens.ts';

export type TuneMethod = 'qlora' | 'lora' | 'full';
export const METHODS: readonly TuneMethod[] = ['qlora', 'lora', 'full'];

/** PROMPT_TEMPLATE keys of xtuner/utils/templates.py. */
export const XTUNER_PROMPT_TEMPLATES = [
  'default',
  'zephyr',
  'internlm_chat',
  'internlm2_chat',
  'moss_sft',
  'llama2_chat',
  'code_llama_chat',
  'chatglm2',
  'chatglm3',
  'qwen_chat',
  'baichuan_chat',
  'baichuan2_chat',
  'wizardlm',
  'wizardcoder',
  'vicuna',
  'deepseek_coder',
  'deepseekcoder',
  'deepseek_moe',
  'deepseek_v2',
  'mistral',
  'mixtral',
  'minicpm',
  'minicpm3',
  'gemma',
  'cohere_chat',
  'llama3_chat',
  'phi3_chat',
] as const;

// First match wins, so the more specific names come first.
const FAMILIES: ReadonlyArray<[RegExp, string]> = [
  [/qwen/, 'qwen_chat'],
  [/internlm(2|3|-?2[._]5)/, 'internlm2_chat'],
  [/internlm/, 'internlm_chat'],
  [/llama-?3/, 'llama3_chat'],
  [/code-?llama/, 'code_llama_chat'],
  [/llama-?2/, 'llama2_chat'],
  [/mixtral/, 'mixtral'],
  [/mistral/, 'mistral'],
  [/chatglm3/, 'chatglm3'],
  [/chatglm2/, 'chatglm2'],
  [/baichuan2/, 'baichuan2_chat'],
  [/baichuan/, 'baichuan_chat'],
  [/phi-?3/, 'phi3_chat'],
  [/gemma/, 'gemma'],
  [/deepseek.*v2/, 'deepseek_v2'],
  [/deepseek.*moe/, 'deepseek_moe'],
  [/deepseek.*coder/, 'deepseek_coder'],
  [/minicpm3/, 'minicpm3'],
  [/minicpm/, 'minicpm'],
  [/vicuna|llava/, 'vicuna'],
  [/zephyr/, 'zephyr'],
  [/command-r|cohere/, 'cohere_chat'],
];

/** The XTuner prompt template for a model name or path, by family; undefined when not known. */
export function promptTemplateFor(model: string): string | undefined {
  const name = model.toLowerCase().replace(/\\/g, '/');
  return FAMILIES.find(([re]) => re.test(name))?.[1];
}

/** Tokens CLIP ViT-L/14 at 336 px puts in the sequence per image: (336 / 14)^2. */
export const CLIP_L14_336_IMAGE_TOKENS = 576;

export interface LengthStats {
  records: number;
  p50: number;
  p95: number;
  max: number;
}

export interface XtunerConfigOptions {
  /** The data file as the config should name it. */
  dataFile: string;
  format: RecordFormat;
  model: string;
  method: TuneMethod;
  promptTemplate: string;
  maxLength: number;
  lengths: LengthStats;
  /** What counted the lengths (a real tokenizer or the estimate). */
  counter: { name: string; exact: boolean };
  epochs: number;
  batchSize: number;
  accumulativeCounts: number;
  lr: number;
  /** System text for EvaluateChatHook (the exported records' system message; '' when none). */
  system: string;
  /** A couple of exported prompts, chatted with during training to watch the answers form. */
  evaluationInputs: string[];
  /** For --vlm: LLaVA parts. */
  vlm?: { imageFolder: string; visualEncoder: string; projector: string; evaluationImage: string };
  /** What made the data (printed into the header). */
  provenance: string;
}

/** A Python literal for a JSON-like value (JSON string escapes are valid Python string escapes). */
function py(v: string | number | boolean | null | readonly string[]): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toExponential().replace('e+', 'e');
  if (typeof v === 'string') return JSON.stringify(v);
  return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
}

/** The longest record rounded up to a multiple of 128; with 15% headroom when the lengths are estimated. */
export function maxLengthFor(lengths: LengthStats, exact: boolean): number {
  return Math.max(256, Math.ceil((lengths.max * (exact ? 1 : 1.15)) / 128) * 128);
}

const QUANTIZATION = `        quantization_config=dict(
            type=BitsAndBytesConfig,
            load_in_4bit=True,
            load_in_8bit=False,
            llm_int8_threshold=6.0,
            llm_int8_has_fp16_weight=False,
            bnb_4bit_compute_dtype=torch.float16,
            bnb_4bit_use_double_quant=True,
            bnb_4bit_quant_type="nf4",
        ),
`;

function lora(key: string): string {
  return `    ${key}=dict(
        type=LoraConfig,
        r=64,
        lora_alpha=16,
        lora_dropout=0.05,
        bias="none",
        task_type="CAUSAL_LM",
    ),
`;
}

function header(o: XtunerConfigOptions): string {
  const map = o.vlm ? 'llava_map_fn' : o.format === 'messages' ? 'openai_map_fn' : 'None (records are already XTuner conversations)';
  return `# XTuner (v0.x) config written by \`ekmm export xtuner-config\`; edit freely.
# ${o.provenance}
# Data: ${o.dataFile} (${o.vlm ? 'LLaVA records' : `${o.format} records`}), dataset_map_fn: ${map}.
# Method: ${o.method}${o.vlm ? ' (VLM: LLaVA)' : ''}; model: ${o.model}; prompt template: ${o.promptTemplate}.
# Tokens per record (${o.counter.name}, plus ${TEMPLATE_OVERHEAD_PER_MESSAGE} per message for the chat template):
#   ${o.lengths.records} records, median ${o.lengths.p50}, p95 ${o.lengths.p95}, max ${o.lengths.max} -> max_length ${o.maxLength}${
    o.vlm ? `\n#   (text tokens; each image adds ${CLIP_L14_336_IMAGE_TOKENS} visual tokens on top)` : ''
  }
# Run: xtuner train THIS_FILE.py   (then xtuner convert pth_to_hf ... for LMDeploy / vLLM)
`;
}

function settings(o: XtunerConfigOptions): string {
  const model = o.vlm
    ? `llm_name_or_path = ${py(o.model)}
visual_encoder_name_or_path = ${py(o.vlm.visualEncoder)}
# The projector trained in LLaVA's pretrain stage (xtuner's pretrain configs write it).
pretrained_pth = ${py(o.vlm.projector)}`
    : `pretrained_model_name_or_path = ${py(o.model)}
use_varlen_attn = False`;
  const data = o.vlm
    ? `data_path = ${py(o.dataFile)}
image_folder = ${py(o.vlm.imageFolder)}`
    : `data_files = [${py(o.dataFile)}]`;
  return `#######################################################################
#                          PART 1  Settings                           #
#######################################################################
# Model
${model}

# Data
${data}
prompt_template = PROMPT_TEMPLATE.${o.promptTemplate}
max_length = ${o.maxLength}
${o.vlm ? '' : '# Records are short; packing them into max_length-long sequences would cut none but mixes posts.\npack_to_max_length = False\n'}
# Scheduler & Optimizer
batch_size = ${o.batchSize}  # per device
accumulative_counts = ${o.accumulativeCounts}
dataloader_num_workers = 0
max_epochs = ${o.epochs}
optim_type = AdamW
lr = ${py(o.lr)}
betas = (0.9, 0.999)
weight_decay = 0
max_norm = 1  # grad clip
warmup_ratio = 0.03

# Save
save_steps = 500
save_total_limit = 2  # checkpoints kept (-1: all)

# Chat with the model on exported prompts during training
evaluation_freq = 500
SYSTEM = ${py(o.system)}
evaluation_inputs = ${py(o.evaluationInputs)}
${o.vlm ? `evaluation_images = ${py(o.vlm.evaluationImage)}\n` : ''}`;
}

function llmModel(o: XtunerConfigOptions): string {
  return `#######################################################################
#                      PART 2  Model & Tokenizer                      #
#######################################################################
tokenizer = dict(
    type=AutoTokenizer.from_pretrained,
    pretrained_model_name_or_path=pretrained_model_name_or_path,
    trust_remote_code=True,
    padding_side="right",
)

model = dict(
    type=SupervisedFinetune,
    use_varlen_attn=use_varlen_attn,
    llm=dict(
        type=AutoModelForCausalLM.from_pretrained,
        pretrained_model_name_or_path=pretrained_model_name_or_path,
        trust_remote_code=True,
        torch_dtype=torch.float16,
${o.method === 'qlora' ? QUANTIZATION : ''}    ),
${o.method === 'full' ? '' : lora('lora')})

#######################################################################
#                      PART 3  Dataset & Dataloader                   #
#######################################################################
train_dataset = dict(
    type=process_hf_dataset,
    dataset=dict(type=load_dataset, path="json", data_files=data_files),
    tokenizer=tokenizer,
    max_length=max_length,
    dataset_map_fn=${o.format === 'messages' ? 'openai_map_fn' : 'None'},
    template_map_fn=dict(type=template_map_fn_factory, template=prompt_template),
    remove_unused_columns=True,
    shuffle_before_pack=True,
    pack_to_max_length=pack_to_max_length,
    use_varlen_attn=use_varlen_attn,
)

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=dataloader_num_workers,
    dataset=train_dataset,
    sampler=dict(type=DefaultSampler, shuffle=True),
    collate_fn=dict(type=default_collate_fn, use_varlen_attn=use_varlen_attn),
)
`;
}

function vlmModel(o: XtunerConfigOptions): string {
  return `#######################################################################
#            PART 2  Model & Tokenizer & Image Processor              #
#######################################################################
tokenizer = dict(
    type=AutoTokenizer.from_pretrained,
    pretrained_model_name_or_path=llm_name_or_path,
    trust_remote_code=True,
    padding_side="right",
)

image_processor = dict(
    type=CLIPImageProcessor.from_pretrained,
    pretrained_model_name_or_path=visual_encoder_name_or_path,
    trust_remote_code=True,
)

model = dict(
    type=LLaVAModel,
    freeze_llm=${o.method === 'full' ? 'False' : 'True'},
    freeze_visual_encoder=True,
    pretrained_pth=pretrained_pth,
    llm=dict(
        type=AutoModelForCausalLM.from_pretrained,
        pretrained_model_name_or_path=llm_name_or_path,
        trust_remote_code=True,
        torch_dtype=torch.float16,
${o.method === 'qlora' ? QUANTIZATION : ''}    ),
${o.method === 'full' ? '' : lora('llm_lora')}    visual_encoder=dict(
        type=CLIPVisionModel.from_pretrained,
        pretrained_model_name_or_path=visual_encoder_name_or_path,
    ),
)

#######################################################################
#                      PART 3  Dataset & Dataloader                   #
#######################################################################
llava_dataset = dict(
    type=LLaVADataset,
    data_path=data_path,
    image_folder=image_folder,
    tokenizer=tokenizer,
    image_processor=image_processor,
    dataset_map_fn=llava_map_fn,
    template_map_fn=dict(type=template_map_fn_factory, template=prompt_template),
    max_length=max_length,
    pad_image_to_square=True,
)

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=dataloader_num_workers,
    dataset=llava_dataset,
    sampler=dict(
        type=LengthGroupedSampler,
        length_property="modality_length",
        per_device_batch_size=batch_size * accumulative_counts,
    ),
    collate_fn=dict(type=default_collate_fn),
)
`;
}

function imports(o: XtunerConfigOptions): string {
  const transformers = o.vlm
    ? 'from transformers import (\n    AutoModelForCausalLM,\n    AutoTokenizer,\n    BitsAndBytesConfig,\n    CLIPImageProcessor,\n    CLIPVisionModel,\n)'
    : 'from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig';
  const lines = [
    'import torch',
    ...(o.vlm ? [] : ['from datasets import load_dataset', 'from mmengine.dataset import DefaultSampler']),
    'from mmengine.hooks import (\n    CheckpointHook,\n    DistSamplerSeedHook,\n    IterTimerHook,\n    LoggerHook,\n    ParamSchedulerHook,\n)',
    'from mmengine.optim import AmpOptimWrapper, CosineAnnealingLR, LinearLR',
    'from peft import LoraConfig',
    'from torch.optim import AdamW',
    transformers,
    '',
    o.vlm ? 'from xtuner.dataset import LLaVADataset' : 'from xtuner.dataset import process_hf_dataset',
    'from xtuner.dataset.collate_fns import default_collate_fn',
    o.vlm
      ? 'from xtuner.dataset.map_fns import llava_map_fn, template_map_fn_factory'
      : o.format === 'messages'
        ? 'from xtuner.dataset.map_fns import openai_map_fn, template_map_fn_factory'
        : 'from xtuner.dataset.map_fns import template_map_fn_factory',
    ...(o.vlm ? ['from xtuner.dataset.samplers import LengthGroupedSampler'] : []),
    'from xtuner.engine.hooks import DatasetInfoHook, EvaluateChatHook',
    'from xtuner.engine.runner import TrainLoop',
    o.vlm ? 'from xtuner.model import LLaVAModel' : 'from xtuner.model import SupervisedFinetune',
    'from xtuner.utils import PROMPT_TEMPLATE',
  ];
  return lines.join('\n') + '\n';
}

function schedulerAndRuntime(o: XtunerConfigOptions): string {
  return `#######################################################################
#                    PART 4  Scheduler & Optimizer                    #
#######################################################################
optim_wrapper = dict(
    type=AmpOptimWrapper,
    optimizer=dict(type=optim_type, lr=lr, betas=betas, weight_decay=weight_decay),
    clip_grad=dict(max_norm=max_norm, error_if_nonfinite=False),
    accumulative_counts=accumulative_counts,
    loss_scale="dynamic",
    dtype="float16",
)

# Linear warm-up for warmup_ratio of the epochs, then cosine decay to 0.
param_scheduler = [
    dict(
        type=LinearLR,
        start_factor=1e-5,
        by_epoch=True,
        begin=0,
        end=warmup_ratio * max_epochs,
        convert_to_iter_based=True,
    ),
    dict(
        type=CosineAnnealingLR,
        eta_min=0.0,
        by_epoch=True,
        begin=warmup_ratio * max_epochs,
        end=max_epochs,
        convert_to_iter_based=True,
    ),
]

train_cfg = dict(type=TrainLoop, max_epochs=max_epochs)

#######################################################################
#                           PART 5  Runtime                           #
#######################################################################
custom_hooks = [
    dict(type=DatasetInfoHook, tokenizer=tokenizer),
    dict(
        type=EvaluateChatHook,
        tokenizer=tokenizer,
${o.vlm ? '        image_processor=image_processor,\n' : ''}        every_n_iters=evaluation_freq,
        evaluation_inputs=evaluation_inputs,
${o.vlm ? '        evaluation_images=evaluation_images,\n' : ''}        system=SYSTEM,
        prompt_template=prompt_template,
    ),
]

default_hooks = dict(
    timer=dict(type=IterTimerHook),
    logger=dict(type=LoggerHook, log_metric_by_epoch=False, interval=10),
    param_scheduler=dict(type=ParamSchedulerHook),
    checkpoint=dict(
        type=CheckpointHook,
        by_epoch=False,
        interval=save_steps,
        max_keep_ckpts=save_total_limit,
    ),
    sampler_seed=dict(type=DistSamplerSeedHook),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method="fork", opencv_num_threads=0),
    dist_cfg=dict(backend="nccl"),
)

visualizer = None
log_level = "INFO"
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
log_processor = dict(by_epoch=False)
`;
}

export function renderXtunerConfig(o: XtunerConfigOptions): string {
  return [header(o), imports(o), settings(o), o.vlm ? vlmModel(o) : llmModel(o), schedulerAndRuntime(o)].join('\n');
}
