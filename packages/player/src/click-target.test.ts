import { EventType, IncrementalSource, MouseInteraction, type RecordedEvent } from '@replaykit/core';
import { describe, expect, it } from 'vitest';
import checkoutSession from '../../../stories/fixtures/checkout-session.json';
import { CLICK_TARGET_LABEL_MAX_LENGTH } from './click-target';
import { inspectorItems, matchesFilter } from './inspector-data';
import { fullSnapshot, meta } from './test/events';
import recording from './test/fixtures/checkout-recording.json';

const clickLabels = (events: readonly RecordedEvent[]) =>
  inspectorItems(events, events[0]?.timestamp ?? 0)
    .events.filter((item) => item.kind === 'click')
    .map((item) => item.label);

function click(timestamp: number, id: number): RecordedEvent {
  return {
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: { source: IncrementalSource.MouseInteraction, type: MouseInteraction.Click, id, x: 10, y: 10 },
  };
}

/** A full snapshot of a document whose `<body>` (id 3) holds `body`. */
function page(timestamp: number, body: unknown[]): RecordedEvent {
  return fullSnapshot(timestamp, [element(2, 'html', {}, [element(3, 'body', {}, body)])]);
}

function element(
  id: number,
  tagName: string,
  attributes: Record<string, unknown>,
  childNodes: unknown[] = [],
) {
  return { type: 2, tagName, id, attributes, childNodes };
}

function textNode(id: number, textContent: string) {
  return { type: 3, id, textContent };
}

function mutation(timestamp: number, data: Record<string, unknown>): RecordedEvent {
  return {
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: { source: IncrementalSource.Mutation, texts: [], attributes: [], removes: [], adds: [], ...data },
  };
}

describe('click rows in a real recording', () => {
  it('name what was clicked, with its text as the page showed it at the click', () => {
    // Recorded from the demo: the cart button's count is a text node the shop rewrites.
    expect(clickLabels(checkoutSession as RecordedEvent[])).toEqual([
      'Click on button "Add Anvil to cart"',
      'Click on button "Add Giant magnet to cart"',
      'Click on button "View cart (2)"',
      'Click on button "Checkout"',
      'Click on button "Pay $203.50"',
      'Click on a "Replays"',
    ]);
  });

  it('names a field by its name, never by what was typed in it', () => {
    const events = recording as RecordedEvent[];
    const labels = clickLabels(events);
    expect(labels).toEqual(['Click on text input "card"', 'Click on button "Pay"']);
    // The recording holds the digits typed after the click: no row shows them.
    expect(JSON.stringify(events)).toContain('4242');
    expect(labels.join(' ')).not.toMatch(/\d/);
  });

  it('are found by the inspector filter through their target', () => {
    const events = checkoutSession as RecordedEvent[];
    const rows = inspectorItems(events, events[0]?.timestamp ?? 0).events;
    expect(rows.filter((item) => matchesFilter(item, 'giant magnet')).map((item) => item.label)).toEqual([
      'Click on button "Add Giant magnet to cart"',
    ]);
  });
});

describe('click targets', () => {
  it('keeps masked text masked and shows no value of a field, a text area or an editable region', () => {
    const events = [
      meta(1_000),
      page(1_001, [
        element(10, 'button', {}, [textNode(11, '**** ***')]),
        element(12, 'input', { type: 'email', value: 'jane@example.com', placeholder: 'Your email' }),
        element(13, 'textarea', { value: 'my address' }, [textNode(14, 'my address')]),
        element(15, 'div', { contenteditable: 'true', id: 'note' }, [textNode(16, 'a private note')]),
        element(17, 'select', { name: 'country', value: 'fr' }, [
          element(18, 'option', { value: 'fr', selected: true }, [textNode(19, 'France')]),
        ]),
      ]),
      click(1_100, 11),
      click(1_200, 12),
      click(1_300, 13),
      click(1_400, 15),
      click(1_500, 18),
    ];
    expect(clickLabels(events)).toEqual([
      'Click on button "**** ***"',
      'Click on email input "Your email"',
      'Click on textarea',
      'Click on div "note"',
      'Click on select "country"',
    ]);
  });

  it('prefers an aria-label, names an icon click by its button, and cuts long text', () => {
    const long = 'Continue to the payment step of your order with the items in your cart';
    const events = [
      meta(1_000),
      page(1_001, [
        element(10, 'button', { 'aria-label': 'Close dialog' }, [element(11, 'svg', {})]),
        element(12, 'p', {}, [textNode(13, `  ${long}\n  `)]),
        element(14, 'div', { role: 'button' }, [element(15, 'span', {}, [textNode(16, 'Menu')])]),
      ]),
      click(1_100, 11),
      click(1_200, 12),
      click(1_300, 16),
    ];
    const [icon, paragraph, menu] = clickLabels(events);
    expect(icon).toBe('Click on button "Close dialog"');
    expect(menu).toBe('Click on div "Menu"');
    const quoted = paragraph?.slice('Click on p "'.length, -1) ?? '';
    expect(quoted.length).toBeLessThanOrEqual(CLICK_TARGET_LABEL_MAX_LENGTH);
    expect(quoted.endsWith('…')).toBe(true);
    expect(long.startsWith(quoted.slice(0, -1))).toBe(true);
  });

  it('follows the page through mutations, and a streaming recording as it grows', () => {
    const first = [
      meta(1_000),
      page(1_001, [element(10, 'div', { id: 'dialog' })]),
      mutation(1_050, {
        adds: [
          { parentId: 10, nextId: null, node: element(20, 'button', { type: 'submit' }) },
          { parentId: 20, nextId: null, node: textNode(21, 'Save') },
          { parentId: 10, nextId: 20, node: element(22, 'h2', {}, [textNode(23, 'Edit')]) },
        ],
      }),
      click(1_100, 21),
    ];
    expect(clickLabels(first)).toEqual(['Click on button "Save"']);
    const grown = [
      ...first,
      mutation(1_150, {
        texts: [{ id: 21, value: 'Saved' }],
        attributes: [{ id: 20, attributes: { 'aria-label': null } }],
      }),
      click(1_200, 20),
      mutation(1_250, { removes: [{ parentId: 10, id: 20 }] }),
      click(1_300, 20),
      click(1_350, 10),
    ];
    // The first click keeps the text of its moment; later ones see the page as it became.
    expect(clickLabels(grown)).toEqual([
      'Click on button "Save"',
      'Click on button "Saved"',
      'Click',
      'Click on div "Edit"',
    ]);
    // The same, derived in one pass from the start.
    expect(clickLabels(grown.map((event) => ({ ...event })))).toEqual(clickLabels(grown));
  });
});
