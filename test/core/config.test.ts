import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from '../../src/config/load.ts';

test('defaults load from config/default.yaml and env overrides are typed', () => {
  const c = loadConfig({ env: { EKMM__SERVER__PORT: '9001', EKMM__INTAKE__URLHOSTS: '[a.example, b.example]' } });
  assert.equal(c.server.port, 9001);
  assert.equal(c.server.host, '127.0.0.1');
  assert.deepEqual(c.intake.urlHosts, ['a.example', 'b.example']);
  assert.deepEqual(c.entityTypes, ['PER', 'LOC', 'ORG', 'OTHER']);
  assert.equal(c.typeAliases.MISC, 'OTHER');
});

test('a mistyped key names itself, suggests the right one and the source', () => {
  assert.throws(
    () => loadConfig({ overrides: { ocr: { minScor: 0.3 } } }),
    (err: unknown) =>
      err instanceof ConfigError &&
      /unknown key "ocr\.minScor"/.test(err.message) &&
      /Did you mean "ocr\.minScore"/.test(err.message) &&
      /overrides/.test(err.message),
  );
});

test('an unknown environment variable key stops start-up', () => {
  assert.throws(() => loadConfig({ env: { EKMM__OCR__WROKERS: '2' } }), /EKMM__OCR__WROKERS.*"WROKERS" is not a key of ocr/);
});

test('a wrong type is reported with its path', () => {
  assert.throws(() => loadConfig({ env: { EKMM__SERVER__PORT: 'eighty' } }), /"server\.port": .*number/i);
});
