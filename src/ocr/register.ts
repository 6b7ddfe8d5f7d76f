import type { Plugin } from '../core/registry.ts';
import { PpOcr } from './ppocr.ts';

const registerOcr: Plugin = (r) => {
  r.ocr.register('ppocr', (ctx) => PpOcr.create(ctx.config.ocr));
};

export default registerOcr;
