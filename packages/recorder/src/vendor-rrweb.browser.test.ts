import { EventType, IncrementalSource } from '@replaykit/core';
import { record as bareRecord } from '@rrweb/record';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPrivacyOptions } from './privacy';
import { record } from './vendor/rrweb-record.js';

// scripts/trim-rrweb.mjs cuts code for options replaykit never sets; these tests hold the copy
// to what bare @rrweb/record does with every option replaykit does set.

interface SerializedNode {
  id?: number;
  childNodes?: SerializedNode[];
  [key: string]: unknown;
}

/** The first full snapshot of the page as `recorder` serializes it, ids renumbered in document order. */
function snapshotWith(recorder: typeof bareRecord, options: Record<string, unknown> = {}): SerializedNode {
  let node: SerializedNode | undefined;
  const stop = recorder({
    emit: (event: { type: number; data: { node?: SerializedNode } }) => {
      if (event.type === 2) {
        node = event.data.node;
      }
    },
    ...options,
  } as Parameters<typeof bareRecord>[0]);
  stop?.();
  if (!node) {
    throw new Error('no full snapshot was emitted');
  }
  const ids = new Map<number, number>();
  const renumber = (value: SerializedNode): SerializedNode => ({
    ...value,
    ...(value.id === undefined ? {} : { id: ids.get(value.id) ?? ids.set(value.id, ids.size + 1).size }),
    ...(value.childNodes ? { childNodes: value.childNodes.map(renumber) } : {}),
  });
  return renumber(node);
}

interface WireEvent {
  type: number;
  data: Record<string, unknown>;
}

/** Keys whose numbers are node ids in rrweb's events (`rootId`: a same-origin iframe's document). */
const NODE_ID_KEYS = new Set(['id', 'parentId', 'nextId', 'rootId']);

/**
 * `events` without timestamps and with node ids renumbered by first appearance: two recorders
 * number nodes from their own counters, so equal streams differ only there. rrweb leaves out
 * `rootId` when the page's document is its node 1 (a fresh module), so it is left out for
 * that document here too, whichever recorder ran first.
 */
function comparable(events: WireEvent[]): WireEvent[] {
  const ids = new Map<number, number>();
  const pageId = (events.find((event) => event.type === 2)?.data.node as SerializedNode | undefined)?.id;
  const visit = (value: unknown, key?: string): unknown => {
    if (Array.isArray(value)) {
      return value.map((item) => visit(item));
    }
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([name, item]) => name !== 'timestamp' && !(name === 'rootId' && item === pageId))
          .map(([name, item]) => [name, visit(item, name)]),
      );
    }
    if (key && NODE_ID_KEYS.has(key) && typeof value === 'number' && value > 0) {
      return ids.get(value) ?? ids.set(value, ids.size + 1).size;
    }
    return value;
  };
  return events.map((event) => visit(event) as WireEvent);
}

/** How long a test waits for iframes and stylesheets to load on a busy machine (not a speed bar). */
const LOAD_WAIT = { timeout: 10_000, interval: 20 };

/** Waits for the mutation observers (microtasks) and the timers rrweb sets (iframe loads). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, 0);
  });
}

afterEach(() => {
  document.body.innerHTML = '';
  document.head.querySelectorAll('meta').forEach((meta) => {
    meta.remove();
  });
});

describe("replaykit's trimmed copy of rrweb's recorder", () => {
  it('refuses the options it was trimmed of, naming them, instead of ignoring them', () => {
    for (const option of [
      { inlineImages: true },
      { collectFonts: true },
      { slimDOMOptions: 'all' },
      { plugins: [] },
      { packFn: (event: unknown) => event },
      { errorHandler: () => true },
      { sampling: { mousemove: false } },
      { mousemoveWait: 100 },
      { userTriggeredOnInput: true },
    ]) {
      expect(() => record({ emit: () => {}, ...option } as Parameters<typeof record>[0])).toThrow(
        /no inlineImages, collectFonts, slimDOMOptions, plugins, packFn, errorHandler, sampling, mousemoveWait or userTriggeredOnInput/,
      );
    }
  });

  it('serializes a page exactly as bare @rrweb/record does with the options replaykit sets', () => {
    // What the cuts and speed-ups touched: images (inlineImages), what slimDOM would drop
    // (scripts, comments, meta tags, head whitespace), blocked elements, custom elements and
    // shadow roots, and ordinary content around them.
    const meta = document.createElement('meta');
    meta.name = 'description';
    meta.content = 'a shop';
    document.head.append(meta);
    document.body.innerHTML = `
      <!-- a comment -->
      <main class="page">
        <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="pixel" width="1" height="1">
        <a href="/cart?id=1">Cart</a> <a href="#top">Top</a>
        <script type="application/json">{"a":1}</script>
        <form><input name="card" value="4242"><textarea>notes</textarea>
          <select><option selected>one</option></select></form>
        <svg width="10" height="10"><use href="#icon"></use></svg>
        <div data-replaykit-block><p>hidden</p></div>
        <p style="color: red">text <b>bold</b></p>
        <rk-test-widget>custom</rk-test-widget><rk-undefined-widget></rk-undefined-widget>
        <div id="host"></div>
      </main>`;
    if (!customElements.get('rk-test-widget')) {
      customElements.define('rk-test-widget', class extends HTMLElement {});
    }
    (document.getElementById('host') as HTMLElement).attachShadow({ mode: 'open' }).innerHTML =
      '<span>in shadow</span><div data-replaykit-block>blocked in shadow</div>';
    const options = {
      maskAllInputs: true,
      maskTextSelector: '*',
      maskTextFn: (text: string) => text.toUpperCase(),
      maskInputFn: (text: string) => '*'.repeat(text.length),
      blockSelector: '[data-replaykit-block]',
      ignoreSelector: '[data-ignore]',
    };
    const trimmed = snapshotWith(record as typeof bareRecord, options);
    expect(trimmed).toEqual(snapshotWith(bareRecord, options));
    // And the page really held what the cuts were about.
    expect(JSON.stringify(trimmed)).toContain('"tagName":"img"');
    expect(JSON.stringify(trimmed)).toContain('"tagName":"script"');
    expect(JSON.stringify(trimmed)).toContain('a comment');
    expect(JSON.stringify(trimmed)).toContain('"isCustom":true');
    expect(JSON.stringify(trimmed)).toContain('"isShadow":true');
    expect(JSON.stringify(trimmed)).toContain('"rr_width"');
    expect(JSON.stringify(trimmed)).not.toContain('needBlock');
  });

  it('records the same mutations as bare @rrweb/record, recording the same page at the same time', async () => {
    // What the speed-ups touch on the incremental path: nodes added later are serialized one at
    // a time (skipChild) but a same-origin iframe's document is serialized whole when it loads,
    // where needBlock decides whether a blocked element's children are recorded. Both
    // recorders observe one DOM, each with its own mirror and id counter.
    document.body.innerHTML = `
      <main id="page"><p id="intro">Hello <b>there</b></p><ul id="list"><li>one</li><li>two</li></ul>
        <div id="blocked" data-rk-block><p>secret</p></div><div id="target"></div></main>`;
    const loadedFrame = document.createElement('iframe');
    // Its content is written after it loads: rrweb records `srcdoc` as it is.
    loadedFrame.srcdoc = '<p>frame text</p>';
    const loaded = new Promise((resolve) => {
      loadedFrame.addEventListener('load', resolve, { once: true });
    });
    document.body.append(loadedFrame);
    await loaded;
    (loadedFrame.contentDocument as Document).body.insertAdjacentHTML(
      'beforeend',
      '<div data-rk-block><p>blocked in frame</p></div><section><em>after</em></section>',
    );
    if (!customElements.get('rk-mutation-known')) {
      customElements.define('rk-mutation-known', class extends HTMLElement {});
    }

    const options = {
      ...createPrivacyOptions(),
      recordAfter: 'DOMContentLoaded',
      recordCanvas: false,
      dataURLOptions: { type: 'image/webp', quality: 0.6 },
    };
    const streams: Record<'bare' | 'trimmed', WireEvent[]> = { bare: [], trimmed: [] };
    const start = (recorder: typeof bareRecord, into: WireEvent[]) =>
      recorder({
        // A JSON copy, as on the wire: rrweb may keep and change the objects it emits.
        emit: (event: unknown) => {
          into.push(JSON.parse(JSON.stringify(event)) as WireEvent);
        },
        ...options,
      } as Parameters<typeof bareRecord>[0]);
    // A stylesheet that loads after rrweb's observers ran (a data: URL can load at once), so
    // rrweb serializes its link again, with its rules, once it has loaded.
    const sheetUrl = URL.createObjectURL(new Blob(['.rk-late-sheet{color:red}'], { type: 'text/css' }));
    const stopBare = start(bareRecord, streams.bare);
    const stopTrimmed = start(record as typeof bareRecord, streams.trimmed);
    const attachedFrames = (events: WireEvent[]) =>
      events.filter((event) => event.data.isAttachIframe).length;
    try {
      // The loaded iframe's document is serialized a task after the full snapshot.
      await vi.waitFor(() => {
        expect(attachedFrames(streams.bare)).toBe(1);
        expect(attachedFrames(streams.trimmed)).toBe(1);
      }, LOAD_WAIT);
      const page = document.getElementById('page') as HTMLElement;
      const target = document.getElementById('target') as HTMLElement;
      // Adds, among them a blocked subtree, custom elements known and not yet known, and a
      // shadow host with a blocked part and a custom element inside.
      target.innerHTML = `
        <section class="added"><h2 title="a title">Added</h2><input value="typed" name="q">
          <div data-rk-block class="ad"><span>blocked later</span><img alt="x"></div>
          <rk-mutation-known>known</rk-mutation-known><rk-mutation-later>later</rk-mutation-later>
          <svg width="4" height="4"><circle r="2"></circle></svg><!-- added comment -->
          <style>.rk-added-style { color: blue; }</style></section>`;
      const host = document.createElement('div');
      host.id = 'host';
      target.append(host);
      host.attachShadow({ mode: 'open' }).innerHTML =
        '<p>in shadow</p><div data-rk-block><b>blocked in shadow</b></div><rk-mutation-known></rk-mutation-known>';
      await nextTask();
      // Text and attribute changes, removals, moves (a moved node is serialized again, a blocked
      // one too), a custom element defined after it was added, a stylesheet that loads later
      // (serialized again once loaded), changes inside the shadow root and the loaded iframe.
      (document.querySelector('#intro b')?.firstChild as Text).data = 'you';
      page.setAttribute('data-state', 'busy');
      const blocked = document.getElementById('blocked') as HTMLElement;
      blocked.setAttribute('class', 'still-blocked');
      target.append(blocked);
      (document.querySelector('#list li') as HTMLElement).remove();
      target.prepend(document.getElementById('list') as HTMLElement);
      const sheet = Object.assign(document.createElement('link'), {
        rel: 'stylesheet',
        href: sheetUrl,
      });
      target.append(sheet);
      customElements.define('rk-mutation-later', class extends HTMLElement {});
      const shadow = host.shadowRoot as ShadowRoot;
      (shadow.querySelector('p') as HTMLElement).textContent = 'changed in shadow';
      shadow.append(Object.assign(document.createElement('div'), { innerHTML: '<i>added in shadow</i>' }));
      const frameDocument = loadedFrame.contentDocument as Document;
      frameDocument.body.insertAdjacentHTML(
        'beforeend',
        '<div data-rk-block><p>added blocked</p></div><p>added</p>',
      );
      (frameDocument.querySelector('em') as HTMLElement).remove();
      // A same-origin iframe added later, filled before rrweb's observers run: rrweb serializes
      // its document whole a task later.
      const addedFrame = document.createElement('iframe');
      target.append(addedFrame);
      (addedFrame.contentDocument as Document).body.innerHTML =
        '<h3>late frame</h3><div data-rk-block><p>blocked in late frame</p></div><rk-x-y>z</rk-x-y>';
      const sheetLoaded = (events: WireEvent[]) => JSON.stringify(events).includes('.rk-late-sheet {');
      await vi.waitFor(() => {
        expect(attachedFrames(streams.bare)).toBe(2);
        expect(attachedFrames(streams.trimmed)).toBe(2);
        expect(sheetLoaded(streams.bare) && sheetLoaded(streams.trimmed)).toBe(true);
      }, LOAD_WAIT);
      // Mouse and touch interactions: rrweb listens for them by walking MouseInteractions' names.
      const intro = document.getElementById('intro') as HTMLElement;
      for (const pointerType of ['mouse', 'touch']) {
        for (const type of ['pointerdown', 'pointerup']) {
          intro.dispatchEvent(new PointerEvent(type, { bubbles: true, pointerType, clientX: 3, clientY: 4 }));
        }
      }
      intro.dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: 3, clientY: 4 }));
      intro.dispatchEvent(new MouseEvent('dblclick', { bubbles: true, clientX: 3, clientY: 4 }));
      await nextTask();
      target.querySelector('.added')?.remove();
      await nextTask();
    } finally {
      // In reverse: each restores the prototypes it patched to what it found.
      stopTrimmed?.();
      stopBare?.();
      URL.revokeObjectURL(sheetUrl);
    }

    // The test runner resizes the window at times of its own, and each recorder throttles its
    // resize listener with its own 200 ms timer: once in CI a resize reached the bare stream and
    // not the trimmed one. The page under test never resizes and the trim left the resize
    // observer as published, so window resizes are left out of the comparison.
    const pageEvents = (events: WireEvent[]) =>
      comparable(events).filter(
        (event) =>
          !(
            event.type === EventType.IncrementalSnapshot &&
            event.data.source === IncrementalSource.ViewportResize
          ),
      );
    const incremental = (events: WireEvent[]) =>
      pageEvents(events).filter((event) => event.type === EventType.IncrementalSnapshot);
    const trimmed = pageEvents(streams.trimmed);
    expect(incremental(streams.trimmed)).toEqual(incremental(streams.bare));
    expect(trimmed).toEqual(pageEvents(streams.bare));
    // Same bytes on the wire, key order included.
    expect(JSON.stringify(trimmed)).toBe(JSON.stringify(pageEvents(streams.bare)));
    // And the streams really held what the test is about.
    const mutations = JSON.stringify(incremental(streams.trimmed).filter((event) => event.data.source === 0));
    for (const expected of [
      '"rr_width"',
      '"isCustom":true',
      '"isShadow":true',
      'changed in shadow',
      'late frame',
      '"removes":[{',
      '"texts":[{',
      '"data-state":"busy"',
      '"class":"still-blocked","rr_width"',
      '.rk-added-style {',
      '"attributes":{"_cssText":".rk-late-sheet { color: red; }"}',
    ]) {
      expect(mutations).toContain(expected);
    }
    const interactions = incremental(streams.trimmed)
      .filter((event) => event.data.source === IncrementalSource.MouseInteraction)
      .map((event) => event.data.type);
    // MouseDown, MouseUp, TouchStart, TouchEnd, Click, DblClick.
    expect(interactions).toEqual([1, 0, 7, 9, 2, 4]);
    // The last change, the added section removed, made it before the recorders stopped.
    expect(incremental(streams.trimmed).at(-1)?.data).toMatchObject({ source: 0, adds: [], removes: [{}] });
    for (const blocked of [
      'secret',
      'blocked later',
      'blocked in shadow',
      'blocked in frame',
      'added blocked',
      'blocked in late frame',
    ]) {
      expect(JSON.stringify(trimmed)).not.toContain(blocked);
    }
  });
});
