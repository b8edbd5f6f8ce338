import { EventType, type NavigationPayload, type NetworkPayload, type RecordedEvent } from '@replaykit/core';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openRecordedPage } from '../support/recorder-harness.ts';
import { context, harness, setUpRecorderPages } from '../support/recorder-pages.ts';

setUpRecorderPages();

const open = async (path: string, options: Record<string, unknown> = {}, markup = ''): Promise<Page> =>
  (await openRecordedPage(context, harness.pageUrl(path, options, markup))).page;

function payloads<T>(events: RecordedEvent[], tag: string): T[] {
  return events
    .filter((event) => event.type === EventType.Custom && (event.data as { tag: string }).tag === tag)
    .map((event) => (event.data as { payload: T }).payload);
}

/** Flushes, marks the end with a custom event and waits until the server stored it. */
async function recorded(page: Page): Promise<RecordedEvent[]> {
  const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
  const marker = `done_${Math.random().toString(36).slice(2)}`;
  await page.evaluate((name) => {
    window.recorder.capture(name);
    return window.recorder.flush();
  }, marker);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const events = await harness.storedEvents(sessionId);
    if (payloads(events, marker).length > 0) {
      return events;
    }
    if (Date.now() > deadline) {
      throw new Error(`the recording never reached the server (${marker})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The same host code, run with and without replaykit's wrappers: its results must not differ. */
const HOST_SCRIPT = async () => {
  const out: Record<string, unknown> = {};
  const response = await fetch('/api/stream');
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: string[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    chunks.push(new TextDecoder().decode(value));
  }
  out.stream = chunks.join('');
  out.streamChunks = chunks.length > 1;
  out.isResponse = response instanceof Response;
  const controller = new AbortController();
  const slow = fetch('/api/slow', { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  try {
    await slow;
    out.abort = 'resolved';
  } catch (error) {
    out.abort = `${(error as Error).name}`;
  }
  const echo = await fetch('/api/echo?status=404&token=abc', { method: 'POST', body: 'hello' });
  out.echo = [echo.status, echo.ok, await echo.text(), echo.headers.get('x-custom')];
  try {
    await fetch('http://127.0.0.1:1/unreachable');
    out.networkError = 'resolved';
  } catch (error) {
    out.networkError = `${(error as Error).name}:${error instanceof TypeError}`;
  }
  const request = new Request('/api/echo', { method: 'PUT', body: 'from a Request' });
  out.request = await (await fetch(request)).json();
  out.urlObject = (await fetch(new URL('/api/echo', location.href))).status;
  out.xhr = await new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/echo?status=201');
    xhr.setRequestHeader('authorization', 'Bearer s3cret');
    const states: number[] = [];
    xhr.onreadystatechange = () => states.push(xhr.readyState);
    xhr.onload = () => resolve([xhr.status, xhr.responseText, states.join(',')]);
    xhr.send('xhr-body');
  });
  out.xhrAbort = await new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', '/api/slow');
    const seen: string[] = [];
    xhr.onabort = () => seen.push('abort');
    xhr.onloadend = () => {
      seen.push(`loadend:${xhr.status}`);
      resolve(seen.join(','));
    };
    xhr.send();
    setTimeout(() => xhr.abort(), 50);
  });
  const sync = new XMLHttpRequest();
  sync.open('GET', '/api/echo', false);
  sync.send();
  out.syncXhr = [sync.status, sync.responseText];
  return out;
};

describe('network capture', () => {
  it('leaves fetch and XHR behaving exactly as without replaykit (streaming, aborts, errors)', async () => {
    const bare = await open('/bare', { network: false });
    const wrapped = await open('/wrapped');
    const [without, withWrappers] = await Promise.all([
      bare.evaluate(HOST_SCRIPT),
      wrapped.evaluate(HOST_SCRIPT),
    ]);
    expect(without.stream).toBe('chunk0\nchunk1\nchunk2\n');
    expect(without.abort).toBe('AbortError');
    expect(withWrappers).toEqual(without);
    // The wrappers are really installed on the second page, and only there.
    expect(await wrapped.evaluate(() => window.fetch.toString().includes('[native code]'))).toBe(false);
    expect(await bare.evaluate(() => window.fetch.toString().includes('[native code]'))).toBe(true);

    const network = payloads<NetworkPayload>(await recorded(wrapped), '$network');
    const echo = network.find((entry) => entry.url.includes('/api/echo?status=404'));
    expect(echo).toMatchObject({ method: 'POST', status: 404, initiator: 'fetch', requestBytes: 5 });
    expect(echo?.url).not.toContain('abc');
    expect(echo?.url).toContain('token=%5Bredacted%5D');
    expect(echo?.requestHeaders).toBeUndefined();
    expect(echo?.responseBody).toBeUndefined();
    expect(
      network.find((entry) => entry.url.includes('/api/slow') && entry.initiator === 'fetch'),
    ).toMatchObject({
      status: 0,
      error: 'aborted',
    });
    expect(
      network.find((entry) => entry.initiator === 'xhr' && entry.url.includes('status=201')),
    ).toMatchObject({
      method: 'POST',
      status: 201,
    });
    expect(network.some((entry) => entry.url.includes('/v1/ingest'))).toBe(false);
  });

  it('records headers and bodies only where allowed, with secrets redacted even through a custom hook', async () => {
    const markup = `<script>window.extraOptions = { network: {
      recordHeadersFor: ['/api/echo'], recordBodiesFor: ['/api/echo'],
      transform: (entry) => ({ ...entry, url: entry.url.replace('%5Bredacted%5D', 'leaked') }),
    } };</script>`;
    const page = await open('/allowed', {}, markup);
    await page.evaluate(async () => {
      await fetch('/api/echo?token=abc', {
        method: 'POST',
        body: 'visible body',
        headers: { authorization: 'Bearer s3cret', 'x-trace': 't1' },
      });
      await fetch('/api/stream');
    });
    const network = payloads<NetworkPayload>(await recorded(page), '$network');
    const echo = network.find((entry) => entry.url.includes('/api/echo'));
    expect(echo?.url).not.toContain('abc');
    expect(echo?.url).not.toContain('leaked');
    expect(echo?.requestHeaders).toMatchObject({ authorization: '[redacted]', 'x-trace': 't1' });
    expect(echo?.responseHeaders).toMatchObject({ 'x-custom': 'visible' });
    expect(echo?.requestBody).toBe('visible body');
    expect(echo?.responseBody).toContain('visible body');
    const stream = network.find((entry) => entry.url.includes('/api/stream'));
    expect(stream?.responseBody).toBeUndefined();
    expect(stream?.requestHeaders).toBeUndefined();
  });
});

describe('errors, navigations, clicks and console', () => {
  it('takes the first full snapshot at DOMContentLoaded and records a click made before the page has loaded', async () => {
    const page = await context.newPage();
    await page.goto(harness.pageUrl('/early', {}, '<img src="/api/slow-image" alt="">'), {
      waitUntil: 'domcontentloaded',
    });
    await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
    await page.click('#action');
    // The image is still on its way: the click happened before the load event.
    expect(await page.evaluate(() => document.readyState)).not.toBe('complete');
    await page.waitForLoadState('load');
    const loadedAt = (await page.evaluate(
      () =>
        performance.timeOrigin +
        (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventStart,
    )) as number;
    const events = await recorded(page);
    const snapshot = events.find((event) => event.type === EventType.FullSnapshot);
    expect(snapshot?.timestamp).toBeLessThan(loadedAt);
    const clicks = events.filter((event) => {
      const data = event.data as { source?: number; type?: number };
      return event.type === EventType.IncrementalSnapshot && data.source === 2 && data.type === 2;
    });
    expect(clicks[0]?.timestamp).toBeLessThan(loadedAt);
  });

  it('adds a stylesheet that loads after the first snapshot to the recording', async () => {
    // Chromium holds DOMContentLoaded for a stylesheet in the markup, so the late case is a
    // sheet the page adds itself, as apps that load styles with their routes do.
    const page = await open('/late-style', {}, '<p class="rk-late-style-marker">styled late</p>');
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const link = Object.assign(document.createElement('link'), {
            rel: 'stylesheet',
            href: '/api/slow-style',
          });
          link.onload = () => resolve();
          link.onerror = () => reject(new Error('the stylesheet did not load'));
          document.head.append(link);
        }),
    );
    const events = await recorded(page);
    const snapshotAt = events.find((event) => event.type === EventType.FullSnapshot)?.timestamp ?? 0;
    // The rule text reaches the recording (inlined by rrweb once the sheet has loaded), so
    // the replay is styled although the sheet was not there at the first snapshot.
    const withRule = events.filter((event) => JSON.stringify(event).includes('rgb(1, 2, 3)'));
    expect(withRule.length).toBeGreaterThan(0);
    expect(withRule.every((event) => event.timestamp > snapshotAt)).toBe(true);
  });

  it('records uncaught errors, unhandled rejections and every kind of SPA navigation', async () => {
    const page = await open('/spa');
    await page.evaluate(async () => {
      setTimeout(() => {
        throw new Error('boom uncaught');
      }, 0);
      void Promise.reject(new Error('boom rejected'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      history.pushState({}, '', '/spa/next?token=abc');
      history.replaceState({}, '', '/spa/replaced');
      const popped = new Promise((resolve) => window.addEventListener('popstate', resolve, { once: true }));
      history.back();
      await popped;
      location.hash = '#section';
      await new Promise((resolve) => window.addEventListener('hashchange', resolve, { once: true }));
      // Back to the same page without a fragment: a fragment change too.
      const unhashed = new Promise((resolve) =>
        window.addEventListener('hashchange', resolve, { once: true }),
      );
      history.back();
      await unhashed;
    });
    const events = await recorded(page);
    const errors = payloads<{ kind: string; message: string; stack?: string }>(events, '$error');
    expect(errors.find((error) => error.kind === 'error')).toMatchObject({
      message: expect.stringContaining('boom uncaught'),
    });
    expect(errors.find((error) => error.kind === 'error')?.stack).toContain('boom uncaught');
    expect(errors.find((error) => error.kind === 'unhandledrejection')).toMatchObject({
      message: 'boom rejected',
    });
    const navigations = payloads<NavigationPayload>(events, '$navigation');
    expect(navigations.map((navigation) => navigation.kind)).toEqual([
      'load',
      'pushState',
      'replaceState',
      'popstate',
      'hashchange',
      'hashchange',
    ]);
    expect(navigations[1]?.url).toMatch(/\/spa\/next\?token=%5Bredacted%5D$/);
    expect(navigations[4]?.url).toMatch(/#section$/);
    expect(navigations[5]?.url).not.toContain('#');
  });

  it('records rage clicks, dead clicks and console calls within their caps', async () => {
    const page = await open('/clicks');
    await page.click('#action');
    await page.click('#action');
    await page.click('#action');
    await page.evaluate(() => {
      console.log('hello', { from: 'the host' });
      console.info(
        '%cStep%c %s of %d items failed: %o (100%%)',
        'color: red',
        '',
        'Checkout',
        3,
        {
          code: 'card_declined',
        },
        'left over',
      );
      console.debug('not recorded by default');
      console.warn('x'.repeat(3_000));
      console.error(...Array.from({ length: 12 }, (_, index) => index));
    });
    // Nothing changes in the DOM after the clicks: a dead click is reported 2.5 s later.
    await page.waitForTimeout(2_800);
    const events = await recorded(page);
    expect(payloads<{ clicks: number; selector: string }>(events, '$rage_click')[0]).toMatchObject({
      clicks: 3,
      selector: 'button#action',
    });
    expect(payloads<{ selector: string }>(events, '$dead_click')[0]).toMatchObject({
      selector: 'button#action',
    });
    const logs = payloads<{ level: string; args: string[]; truncated?: boolean }>(events, '$console');
    expect(logs.map((log) => log.level)).toEqual(['log', 'info', 'warn', 'error']);
    expect(logs[0]?.args).toEqual(['hello', '{"from":"the host"}']);
    // Format directives applied as the console shows them; styling dropped.
    expect(logs[1]?.args).toEqual([
      'Step Checkout of 3 items failed: {"code":"card_declined"} (100%)',
      'left over',
    ]);
    expect(logs[2]?.args[0]?.length).toBe(2_001);
    expect(logs[2]?.truncated).toBe(true);
    expect(logs[3]?.args).toHaveLength(10);
  });
});

describe('privacy of links', () => {
  it('masks the address of mailto: and tel: links inside a masked region', async () => {
    const page = await open('/links');
    // Added after the first snapshot and changed later, so that neither the page URL nor
    // the markup carries the addresses: only the links do.
    await page.evaluate(() => {
      const region = document.createElement('div');
      region.setAttribute('data-rk-mask', '');
      region.innerHTML =
        '<a id="mail" href="mailto:jane.masked@example.com?subject=Invoice">Write</a><a id="call" href="tel:+15550109999">Call</a>';
      document.body.append(region);
    });
    await page.waitForTimeout(200);
    await page.evaluate(() => document.getElementById('call')?.setAttribute('href', 'tel:+15550108888'));
    const text = JSON.stringify(await recorded(page));
    expect(text).not.toContain('jane.masked');
    expect(text).not.toContain('Invoice');
    expect(text).not.toContain('15550109999');
    expect(text).not.toContain('15550108888');
    // Still links of their kind in the replay, with their shape kept.
    expect(text).toMatch(/"href":"mailto:\*+"/);
    expect(text).toMatch(/"href":"tel:\*{12}"/);
  });

  it('masks the content of a data: link inside a masked region, and keeps inline images', async () => {
    const page = await open('/data-links', { privacy: { preset: 'relaxed' } });
    await page.evaluate(() => {
      document.body.insertAdjacentHTML(
        'beforeend',
        `<div data-rk-mask><a download="export.csv" href="data:text/csv,name%0Amasked-csv-row">Export</a>
          <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></div>`,
      );
    });
    const text = JSON.stringify(await recorded(page));
    expect(text).not.toContain('masked-csv-row');
    expect(text).toMatch(/"href":"data:\*+"/);
    expect(text).toContain('"src":"data:image/gif;base64,R0lGODlhAQABAAAAACw="');
  });

  it('finds personal-looking text in a percent-encoded data: link under balanced, as in a query value', async () => {
    const page = await open('/encoded-data-links');
    // encodeURIComponent is how an export link is built: the email's @ is %40 in the href.
    await page.evaluate(() => {
      document.body.insertAdjacentHTML(
        'beforeend',
        `<a download="export.csv" href="data:text/csv;charset=utf-8,${encodeURIComponent('name,email\nJane,jane.encoded@example.com')}">Export</a>
          <a id="plain" href="data:text/plain,${encodeURIComponent('nothing personal')}">Notes</a>`,
      );
    });
    const text = JSON.stringify(await recorded(page));
    expect(text).not.toContain('jane.encoded');
    // Nothing personal: the link is kept as written.
    expect(text).toContain('"href":"data:text/plain,nothing%20personal"');
  });
});

describe('privacy of attribute values', () => {
  it('masks the value attribute of data, li, meter, progress, param, output and custom elements inside a masked region', async () => {
    const page = await open('/values', { privacy: { preset: 'relaxed' } });
    // Added after the first snapshot, then changed, so that only the elements carry the
    // values: the additions and the later attribute changes both pass the privacy rules.
    await page.evaluate(() => {
      const region = document.createElement('div');
      region.setAttribute('data-rk-mask', '');
      region.innerHTML = `<data value="masked-data-value">Order</data><ol><li value="masked-li-value">x</li></ol>
        <meter value="masked-meter-value"></meter><progress value="masked-progress-value"></progress>
        <object><param name="account" value="masked-param-value"></object>
        <output value="masked-output-value"></output><x-total value="masked-custom-value"></x-total>
        <data id="later" value="0">Later</data>`;
      document.body.append(region);
      document.body.insertAdjacentHTML('beforeend', '<data value="clear-data-value">Outside</data>');
    });
    await page.waitForTimeout(200);
    await page.evaluate(() => {
      (document.getElementById('later') as HTMLDataElement).value = 'masked-later-value';
    });
    const text = JSON.stringify(await recorded(page));
    for (const kind of ['data', 'li', 'meter', 'progress', 'param', 'output', 'custom', 'later']) {
      expect(text).not.toContain(`masked-${kind}-value`);
    }
    // Relaxed records the same attribute in clear outside the region, so a leak would be seen.
    expect(text).toContain('clear-data-value');
    expect(text).toMatch(/"value":"\*{17}"/);
  });
  it('masks text attributes beyond labels and titles inside a masked region: abbr, summary, datetime, download, braille labels, aria-valuenow', async () => {
    const page = await open('/text-attributes', { privacy: { preset: 'relaxed' } });
    await page.evaluate(() => {
      const region = document.createElement('div');
      region.setAttribute('data-rk-mask', '');
      region.innerHTML = `<table summary="masked-summary-text"><tr><th abbr="masked-abbr-text">Name</th></tr></table>
        <time datetime="masked-datetime-text">Birthday</time><a href="/file" download="masked-download-text.pdf">Invoice</a>
        <div role="slider" aria-valuenow="masked-valuenow-text" aria-braillelabel="masked-braillelabel-text"
          aria-brailleroledescription="masked-brailleroledescription-text">Balance</div><time id="later">Later</time>`;
      document.body.append(region);
      document.body.insertAdjacentHTML('beforeend', '<time datetime="clear-datetime-text">Outside</time>');
    });
    await page.waitForTimeout(200);
    await page.evaluate(() =>
      document.getElementById('later')?.setAttribute('datetime', 'masked-later-text'),
    );
    const text = JSON.stringify(await recorded(page));
    for (const name of [
      'summary',
      'abbr',
      'datetime',
      'download',
      'valuenow',
      'braillelabel',
      'brailleroledescription',
      'later',
    ]) {
      expect(text).not.toContain(`masked-${name}-text`);
    }
    expect(text).toContain('clear-datetime-text');
  });
});

describe('privacy of input events', () => {
  it('masks the value a checked radio button or checkbox sends inside a masked region, and typing into a shadow root inside a blocked one', async () => {
    const page = await open('/choices', { privacy: { preset: 'relaxed' } });
    await page.evaluate(() => {
      document.body.insertAdjacentHTML(
        'beforeend',
        `<div data-rk-mask><input type="radio" name="plan" id="masked-radio" value="masked-radio-value">
          <input type="radio" name="plan" value="masked-other-value" checked>
          <input type="checkbox" id="masked-checkbox" value="masked-checkbox-value"></div>
        <input type="radio" id="clear-radio" value="clear-radio-value">
        <div data-rk-block><div id="host"></div></div>`,
      );
      // rrweb does not serialize what is under a blocked element, shadow roots included.
      (document.getElementById('host') as HTMLElement).attachShadow({ mode: 'open' }).innerHTML =
        '<input id="blocked-field">';
    });
    await page.locator('#masked-radio').check();
    await page.locator('#masked-checkbox').check();
    await page.locator('#clear-radio').check();
    await page.locator('#blocked-field').pressSequentially('blocked-typed-text');
    const events = await recorded(page);
    const inputs = events.filter(
      (event) =>
        event.type === EventType.IncrementalSnapshot && (event.data as { source: number }).source === 5,
    );
    const text = JSON.stringify(inputs);
    for (const secret of [
      'masked-radio-value',
      'masked-other-value',
      'masked-checkbox-value',
      'blocked-typed',
    ]) {
      expect(text).not.toContain(secret);
    }
    // The checked state is still recorded, and relaxed sends a choice outside the regions in clear.
    expect(text).toMatch(/"text":"\*{18}","isChecked":true/);
    expect(text).toContain('clear-radio-value');
  });
});

describe('privacy of ignored fields', () => {
  it('never sends what is typed inside an ignored region: not in later snapshots, synced value attributes or shadow roots', async () => {
    // Idle after 1.5 s: the next activity takes a fresh full snapshot of the typed fields.
    const page = await open('/ignored', { privacy: { preset: 'relaxed' }, userIdleTimeoutMs: 1_500 });
    await page.evaluate(() => {
      document.body.insertAdjacentHTML(
        'beforeend',
        `<div data-rk-ignore><input id="search"><input id="synced"><textarea id="notes"></textarea><div id="host"></div></div>
        <input id="clear-field">`,
      );
      (document.getElementById('host') as HTMLElement).attachShadow({ mode: 'open' }).innerHTML =
        '<input id="shadow-field">';
      // What React does for a controlled input: the value attribute follows what is typed.
      const synced = document.getElementById('synced') as HTMLInputElement;
      synced.addEventListener('input', () => synced.setAttribute('value', synced.value));
    });
    await page.locator('#search').pressSequentially('ignored-search-text');
    await page.locator('#synced').pressSequentially('ignored-synced-text');
    await page.locator('#notes').pressSequentially('ignored-notes-text');
    await page.locator('#shadow-field').pressSequentially('ignored-shadow-text');
    await page.locator('#clear-field').pressSequentially('clear-typed-text');
    // Idle (paused) before the click, however late a loaded machine runs the idle check.
    await page.waitForFunction(() => window.recorder.getStatus() === 'paused', undefined, {
      timeout: 20_000,
    });
    await page.mouse.click(5, 5);
    await page.waitForFunction(() => window.recorder.getStatus() === 'recording');
    // The snapshot is taken in a task the click queued: one queued after it runs later.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve)));
    const events = await recorded(page);
    const text = JSON.stringify(events);
    expect(events.filter((event) => event.type === EventType.FullSnapshot)).toHaveLength(2);
    for (const secret of ['search', 'synced', 'notes', 'shadow']) {
      expect(text).not.toContain(`ignored-${secret}-text`);
    }
    expect(text).toContain('clear-typed-text');
  });
});

describe('privacy of shadow roots', () => {
  it('masks text placed directly in a shadow root inside a masked region, as added and as changed', async () => {
    const page = await open('/shadow-text', { privacy: { preset: 'relaxed' } });
    // What a web component that renders `Hello, ${name}` into its shadow root leaves there: a
    // text node whose parent is the shadow root, not an element.
    await page.evaluate(() => {
      document.body.insertAdjacentHTML(
        'beforeend',
        '<div data-rk-mask><span id="masked-host"></span></div><span id="clear-host"></span>',
      );
      const attach = (id: string, text: string) =>
        ((document.getElementById(id) as HTMLElement).attachShadow({ mode: 'open' }).textContent = text);
      attach('masked-host', 'masked-shadow-text');
      attach('clear-host', 'clear-shadow-text');
    });
    await page.waitForTimeout(200);
    await page.evaluate(() => {
      const root = (document.getElementById('masked-host') as HTMLElement).shadowRoot as ShadowRoot;
      (root.firstChild as Text).data = 'masked-changed-text';
      root.append('masked-appended-text');
    });
    const text = JSON.stringify(await recorded(page));
    for (const secret of ['masked-shadow-text', 'masked-changed-text', 'masked-appended-text']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('clear-shadow-text');
    expect(text).toContain('"value":"*******************"');
  });
});

describe('privacy of comments', () => {
  it('masks comments inside a masked region, which rrweb serializes as they are', async () => {
    const page = await open('/comments', { privacy: { preset: 'relaxed' } });
    await page.evaluate(() => {
      document.body.insertAdjacentHTML(
        'beforeend',
        '<div data-rk-mask id="region"><!-- masked-markup-comment --></div><!-- clear-markup-comment -->',
      );
    });
    await page.waitForTimeout(200);
    await page.evaluate(() => {
      (document.getElementById('region') as HTMLElement).append(
        document.createComment('masked-added-comment'),
      );
    });
    const text = JSON.stringify(await recorded(page));
    expect(text).not.toContain('masked-markup-comment');
    expect(text).not.toContain('masked-added-comment');
    expect(text).toContain('clear-markup-comment');
  });
});
