import { record as bareRecord } from '@rrweb/record';
import { afterEach, describe, expect, it } from 'vitest';
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

afterEach(() => {
  document.body.innerHTML = '';
  document.head.querySelectorAll('meta').forEach((meta) => {
    meta.remove();
  });
});

describe("replaykit's trimmed copy of rrweb's recorder", () => {
  it('refuses the options it was trimmed of, naming them, instead of ignoring them', () => {
    for (const option of [{ inlineImages: true }, { collectFonts: true }, { slimDOMOptions: 'all' }]) {
      expect(() => record({ emit: () => {}, ...option } as Parameters<typeof record>[0])).toThrow(
        /no inlineImages, collectFonts or slimDOMOptions/,
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
});
