// Built-in backends register through the same Plugin interface a third-party package uses.
import type { Plugin } from './registry.ts';
import registerStores from '../store/register.ts';
import registerIntake from '../intake/register.ts';
import registerOcr from '../ocr/register.ts';
import registerLlm from '../llm/register.ts';
import registerLocal from '../recognizers/local/register.ts';
import registerGazetteer from '../recognizers/gazetteer.ts';
import registerRecorded from '../recorded/register.ts';

export const builtinPlugins: readonly Plugin[] = [
  registerStores,
  registerIntake,
  registerOcr,
  registerLlm,
  registerLocal,
  registerGazetteer,
  registerRecorded,
];
