import { EventType } from '@replaykit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createPrivacyOptions, type PrivacyConfig } from './privacy';
import { recordPage } from './test/record-page';
import { record } from './vendor/rrweb-record.js';

// Records the current document with the privacy rules, through rrweb itself in Chromium,
// and returns everything that would have been buffered, as JSON text.
async function recordText(config: PrivacyConfig, act?: () => void | Promise<void>): Promise<string> {
  const events = await recordPage(config, act);
  expect(events.some((event) => event.type === EventType.FullSnapshot)).toBe(true);
  return JSON.stringify(events);
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('privacy rules applied by rrweb and the event processor', () => {
  it('masks attributes and URL query values in the snapshot under strict, but not under relaxed', async () => {
    document.body.innerHTML = `
      <input placeholder="placeholder-secret" title="title-secret" aria-label="label-secret">
      <img alt="alt-secret" src="/pic.png?who=img-secret">
      <a href="/next?q=link-secret&access_token=tok-secret">go</a>
      <button value="button-secret">Pay</button>`;
    const strict = await recordText({ preset: 'strict' });
    for (const secret of [
      'placeholder-secret',
      'title-secret',
      'label-secret',
      'alt-secret',
      'img-secret',
      'link-secret',
      'tok-secret',
      'button-secret',
    ]) {
      expect(strict).not.toContain(secret);
    }
    const relaxed = await recordText({ preset: 'relaxed' });
    expect(relaxed).toContain('placeholder-secret');
    expect(relaxed).toContain('link-secret');
    // Sensitive parameter names are redacted under every preset.
    expect(relaxed).not.toContain('tok-secret');
  });

  it("applies the host's mask and unmask selectors like the markers, nearest first", async () => {
    document.body.innerHTML = `
      <p class="customer-name">host-class-secret</p>
      <p data-private>host-attribute-secret</p>
      <section data-private><p class="public">public-inside-private</p><p>private-inside</p></section>
      <div data-rk-mask><p class="public">public-inside-marker</p></div>
      <p>plain-relaxed-text</p>`;
    const sent = await recordText({
      preset: 'relaxed',
      // A class selector needs matches(); lone attribute selectors are tested as attributes.
      maskSelectors: ['.customer-name', '[data-private]'],
      unmaskSelectors: ['.public'],
    });
    for (const secret of ['host-class-secret', 'host-attribute-secret', 'private-inside']) {
      expect(sent).not.toContain(secret);
    }
    expect(sent).toContain('public-inside-private');
    expect(sent).toContain('public-inside-marker');
    expect(sent).toContain('plain-relaxed-text');
    // Attribute selectors only: the fast path, with the host's attribute beside the markers.
    const attributesOnly = await recordText({ preset: 'relaxed', maskSelectors: ['[data-private]'] });
    expect(attributesOnly).not.toContain('host-attribute-secret');
    expect(attributesOnly).toContain('host-class-secret');
  });

  it('lets the nearest marker win, through shadow roots, and never unmasks passwords', async () => {
    document.body.innerHTML = `
      <div data-rk-unmask>
        <p>clear-text</p>
        <div data-rk-mask><p>inner-secret</p><span title="inner-title-secret">x</span></div>
        <input type="password" value="password-secret">
        <input autocomplete="cc-number" value="4111-card-secret">
        <input id="plain" value="unmasked-value">
        <div id="host"></div>
      </div>`;
    const host = document.getElementById('host') as HTMLElement;
    host.attachShadow({ mode: 'open' }).innerHTML = '<p>shadow-clear</p><p data-rk-mask>shadow-secret</p>';
    const sent = await recordText({ preset: 'strict' });
    expect(sent).toContain('clear-text');
    expect(sent).toContain('unmasked-value');
    expect(sent).toContain('shadow-clear');
    for (const secret of [
      'inner-secret',
      'inner-title-secret',
      'password-secret',
      'card-secret',
      'shadow-secret',
    ]) {
      expect(sent).not.toContain(secret);
    }
  });

  it('never unmasks a payment or password field whose autocomplete is written in capitals', async () => {
    // Autofill tokens are case-insensitive: browsers fill CC-Number as a card number.
    document.body.innerHTML = `
      <div data-rk-unmask>
        <input autocomplete="CC-Number" value="4111-upper-card-secret">
        <input autocomplete="section-pay One-Time-Code" value="upper-otp-secret">
        <input id="plain" value="unmasked-value">
      </div>`;
    const sent = await recordText({ preset: 'relaxed' });
    expect(sent).toContain('unmasked-value');
    expect(sent).not.toContain('upper-card-secret');
    expect(sent).not.toContain('upper-otp-secret');
  });

  it('finds markers inside shadow roots when the page itself carries none', async () => {
    // No marker in the document: its elements skip the walk, but a shadow tree, which the
    // document's query cannot see, may still hold one.
    document.body.innerHTML = '<p>page-clear</p><div id="host"></div>';
    const host = document.getElementById('host') as HTMLElement;
    host.attachShadow({ mode: 'open' }).innerHTML =
      '<p>shadow-clear</p><section data-rk-mask><p title="shadow-title-secret">shadow-secret</p></section>';
    const sent = await recordText({ preset: 'relaxed' });
    expect(sent).toContain('page-clear');
    expect(sent).toContain('shadow-clear');
    expect(sent).not.toContain('shadow-secret');
    expect(sent).not.toContain('shadow-title-secret');
  });

  it("never sends an iframe's srcdoc, whose HTML would carry what the rules mask and block", async () => {
    const html = (n: number) =>
      `<p data-rk-block>blocked-frame-secret-${n}</p><p data-rk-mask>masked-frame-secret-${n}</p>`;
    document.body.innerHTML = `<iframe id="frame" srcdoc="${html(1)}"></iframe>`;
    for (const preset of ['strict', 'balanced', 'relaxed'] as const) {
      const sent = await recordText({ preset }, () => {
        // Set later too: an attribute mutation.
        (document.getElementById('frame') as HTMLIFrameElement).srcdoc = html(2);
      });
      expect(sent).not.toContain('srcdoc');
      for (const secret of ['blocked-frame-secret', 'masked-frame-secret']) {
        expect(sent).not.toContain(secret);
      }
    }
  });

  it('masks attributes and text added later by mutations, and switched password fields', async () => {
    document.body.innerHTML =
      '<section data-rk-mask id="region"></section><input id="field" type="password">';
    const sent = await recordText({ preset: 'relaxed' }, () => {
      const region = document.getElementById('region') as HTMLElement;
      region.innerHTML =
        '<p title="late-title-secret">late-text-secret</p><a href="/x?name=late-link-secret">l</a>';
      region.setAttribute('aria-label', 'late-aria-secret');
      const field = document.getElementById('field') as HTMLInputElement;
      field.type = 'text';
      field.value = 'switched-secret';
      field.dispatchEvent(new Event('input', { bubbles: true }));
    });
    for (const secret of [
      'late-title-secret',
      'late-text-secret',
      'late-link-secret',
      'late-aria-secret',
      'switched-secret',
    ]) {
      expect(sent).not.toContain(secret);
    }
  });

  it('forgets the markers it saw in a full snapshot once the snapshot is done', async () => {
    document.body.innerHTML = '<div id="region" data-rk-unmask><p>clear-before</p><input id="typed"></div>';
    const sent = await recordText({ preset: 'strict' }, async () => {
      // A region unmasked during the snapshot becomes masked right after it (same task):
      // what is added or typed next must follow the new marker.
      const region = document.getElementById('region') as HTMLElement;
      region.removeAttribute('data-rk-unmask');
      region.setAttribute('data-rk-mask', '');
      const late = document.createElement('p');
      late.setAttribute('title', 'late-title-secret');
      late.textContent = 'late-text-secret';
      region.append(late);
      const input = document.getElementById('typed') as HTMLInputElement;
      input.value = 'late-typed-secret';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(sent).toContain('clear-before');
    for (const secret of ['late-title-secret', 'late-text-secret', 'late-typed-secret']) {
      expect(sent).not.toContain(secret);
    }
  });

  it('blocks media under strict and masks personal-looking text under balanced', async () => {
    document.body.innerHTML = `
      <p>Write to pat.doe@example.com or call +1 415 555 0100 about order 42</p>
      <canvas id="chart"></canvas>`;
    const balanced = await recordText({ preset: 'balanced' });
    expect(balanced).not.toContain('pat.doe@example.com');
    expect(balanced).not.toContain('555 0100');
    expect(balanced).toContain('about order 42');
    expect(balanced).toContain('"tagName":"canvas"');
    const strict = await recordText({ preset: 'strict' });
    expect(strict).toContain('rr_width');
    expect(strict).not.toContain('"id":"chart"');
  });

  it('masks the host’s extra attributes and ignores typing in fields inside an ignore wrapper', async () => {
    document.body.innerHTML = `
      <p data-customer="customer-secret">hello</p>
      <div data-rk-ignore><input id="coupon"></div>`;
    const sent = await recordText({ preset: 'relaxed', maskAttributes: ['data-customer'] }, () => {
      const coupon = document.getElementById('coupon') as HTMLInputElement;
      coupon.value = 'typed-coupon-secret';
      coupon.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(sent).toContain('hello');
    expect(sent).not.toContain('customer-secret');
    expect(sent).not.toContain('typed-coupon-secret');
    expect(() => createPrivacyOptions({ maskAttributes: [''] })).toThrow(/array of attribute names/);
  });

  it('rejects an unknown preset and an invalid selector with a message that says how to fix it', () => {
    expect(() => createPrivacyOptions({ preset: 'paranoid' as never })).toThrow(
      /use one of strict, balanced, relaxed/,
    );
    expect(() => createPrivacyOptions({ maskSelectors: ['[[oops'] })).toThrow(/invalid CSS selector/);
  });
});

describe('record.mirror', () => {
  it('is exposed by the trimmed @rrweb/record, which the event processor relies on for live elements', () => {
    expect(typeof record.mirror.getNode).toBe('function');
  });
});
