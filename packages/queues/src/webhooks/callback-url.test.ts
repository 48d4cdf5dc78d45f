import { describe, expect, it } from 'vitest';
import { checkCallbackUrl } from './callback-url.js';

const check = (url: string) => checkCallbackUrl(url, { allowPrivate: false });

describe('checkCallbackUrl', () => {
  it('accepts public addresses', async () => {
    expect(await check('https://93.184.216.34/hook')).toMatchObject({ ok: true });
    expect(await check('http://8.8.8.8:8080/x')).toMatchObject({ ok: true });
    expect(await check('https://[2606:4700:4700::1111]/hook')).toMatchObject({ ok: true });
  });

  it('refuses internal targets, however they are written', async () => {
    for (const url of [
      'http://127.0.0.1/x',
      'http://10.1.2.3/x',
      'http://169.254.169.254/latest/meta-data',
      'http://192.168.1.1/x',
      'http://[::1]/x',
      'http://[::ffff:127.0.0.1]/x',
      'http://[::ffff:a9fe:a9fe]/x',
      'http://[64:ff9b::7f00:1]/x',
      'http://[fd00::1]/x',
      'http://0.0.0.0/x',
      'http://localhost/x',
      // IPv6 forms embedding IPv4 (found by probing: these were accepted), and site-local.
      'http://[::127.0.0.1]/x',
      'http://[::ffff:0:127.0.0.1]/x',
      'http://[2002:7f00:1::]/x',
      'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x',
      'http://[fec0::1]/x',
    ]) {
      expect(await check(url), url).toMatchObject({ ok: false, code: 'callback_url_not_allowed' });
    }
  });

  it('refuses other schemes and credentials, and allows private targets only when told', async () => {
    expect(await check('ftp://8.8.8.8/x')).toMatchObject({ ok: false, code: 'invalid_callback_url' });
    expect(await check('https://user:pw@8.8.8.8/x')).toMatchObject({ ok: false, code: 'invalid_callback_url' });
    expect(await check('not a url')).toMatchObject({ ok: false, code: 'invalid_callback_url' });
    expect(await checkCallbackUrl('http://127.0.0.1/x', { allowPrivate: true })).toMatchObject({ ok: true });
  });

  it('checks every address a name resolves to', async () => {
    const resolving = (addresses: string[]) => async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    const named = (addresses: string[]) =>
      checkCallbackUrl('https://hooks.example.test/x', { allowPrivate: false, resolve: resolving(addresses) });
    expect(await named(['93.184.216.34', '2606:4700:4700::1111'])).toMatchObject({ ok: true });
    expect(await named(['93.184.216.34', '10.0.0.7'])).toMatchObject({ ok: false, code: 'callback_url_not_allowed' });
    expect(await named([])).toMatchObject({ ok: false, code: 'callback_host_unresolvable' });
  });
});
