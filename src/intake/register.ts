import type { Plugin } from '../core/registry.ts';
import { SharpIntake } from './sharp-intake.ts';

const registerIntake: Plugin = (r) => {
  r.intake.register('sharp', (ctx) => new SharpIntake(ctx.config.intake));
};

export default registerIntake;
