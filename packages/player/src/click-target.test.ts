import {
  deriveMarkers,
  EventType,
  IncrementalSource,
  MouseInteraction,
  type RecordedEvent,
  ReservedEvent,
  type TimelineMarker,
} from '@replaykit/core';
import { describe, expect, it } from 'vitest';
import checkoutSession from '../../../stories/fixtures/checkout-session.json';
import { CLICK_TARGET_LABEL_MAX_LENGTH, RAGE_CLICK_MATCH_MS } from './click-target';
import { inspectorItems, matchesFilter } from './inspector-data';
import { custom, fullSnapshot, meta } from './test/events';
import recording from './test/fixtures/checkout-recording.json';
import { createTimeline } from './timeline-data';

const clickLabels = (events: readonly RecordedEvent[]) =>
  inspectorItems(events, events[0]?.timestamp ?? 0)
    .events.filter((item) => item.kind === 'click')
    .map((item) => item.label);

function click(timestamp: number, id: number, x = 10, y = 10): RecordedEvent {
  return {
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: { source: IncrementalSource.MouseInteraction, type: MouseInteraction.Click, id, x, y },
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

/** A checkout page: a Pay button (node 10) at (40, 20) and a Help link (node 12) at (200, 20). */
const checkout = () => [
  meta(1_000),
  page(1_001, [
    element(10, 'button', { class: 'primary' }, [textNode(11, 'Pay $203.50')]),
    element(12, 'a', { href: '/help', class: 'help' }, [textNode(13, 'Help')]),
  ]),
];
const rage = (timestamp: number, x: number, y: number) =>
  custom(timestamp, ReservedEvent.RageClick, { x, y, clicks: 3, selector: 'button.primary' });
const dead = (timestamp: number, x: number, y: number) =>
  custom(timestamp, ReservedEvent.DeadClick, { x, y, selector: 'a.help' });

/** The rage and dead click rows of `events`, as label and detail. */
const markedClickRows = (events: readonly RecordedEvent[]) =>
  inspectorItems(events, events[0]?.timestamp ?? 0)
    .events.filter((item) => item.kind === 'rage_click' || item.kind === 'dead_click')
    .map(({ label, detail }) => ({ label, detail }));

describe('rage and dead click rows', () => {
  it('name what the click they were made for reached, in the order the recorder sends them or by time', () => {
    // As the recorder sends them: the rage marker just before its click (stamped a moment
    // earlier), the dead click marker after the timeout.
    const sent = [
      ...checkout(),
      click(1_100, 11, 40, 20),
      click(1_300, 11, 40, 20),
      rage(1_501, 40, 20),
      click(1_500, 11, 40, 20),
      click(3_000, 13, 200, 20),
      dead(5_500, 200, 20),
    ];
    const expected = [
      { label: 'Rage click on button "Pay $203.50"', detail: undefined },
      { label: 'Dead click on a "Help"', detail: undefined },
    ];
    expect(markedClickRows(sent)).toEqual(expected);
    // The player's timeline sorts by time, which puts the rage's click before it.
    const byTime = [...sent].map((event) => ({ ...event })).sort((a, b) => a.timestamp - b.timestamp);
    expect(markedClickRows(byTime)).toEqual(expected);
  });

  it('keep the selector when the click they were made for is not found for sure', () => {
    const events = [
      ...checkout(),
      // A burst's earlier click at the same spot is not the rage's own: that one is missing.
      click(1_100, 11, 40, 20),
      click(1_501 - RAGE_CLICK_MATCH_MS - 1, 11, 40, 20),
      rage(1_501, 40, 20),
      // A click elsewhere right after it is not its own either.
      click(1_501, 13, 200, 20),
      // The last click before a dead click marker was somewhere else.
      click(3_000, 11, 40, 20),
      dead(5_500, 200, 20),
    ];
    expect(markedClickRows(events)).toEqual([
      { label: 'Rage click', detail: 'button.primary' },
      { label: 'Dead click', detail: 'a.help' },
    ]);
  });

  it('say nothing sure of a rage between two clicks that could each be its own', () => {
    const events = [...checkout(), click(1_500, 11, 40, 20), rage(1_500, 40, 20), click(1_500, 13, 40, 20)];
    expect(markedClickRows(events)).toEqual([{ label: 'Rage click', detail: 'button.primary' }]);
  });

  it('name a streaming rage once its click arrives in a later flush', () => {
    const first = [...checkout(), click(1_100, 11, 40, 20), rage(1_501, 40, 20)];
    expect(markedClickRows(first)).toEqual([{ label: 'Rage click', detail: 'button.primary' }]);
    const grown = [...first, click(1_500, 11, 40, 20)];
    expect(markedClickRows(grown)).toEqual([
      { label: 'Rage click on button "Pay $203.50"', detail: undefined },
    ]);
  });
});

describe('rage and dead click timeline markers', () => {
  const labels = (timeline: ReturnType<typeof createTimeline>) =>
    timeline?.markers.map((marker) => marker.label);

  it("name the server's copies by what was clicked; another tab's and an unsure one keep the selector", () => {
    const events = [
      ...checkout(),
      click(1_100, 11, 40, 20),
      rage(1_501, 40, 20),
      click(1_500, 11, 40, 20),
      click(3_000, 13, 200, 20),
      dead(5_500, 200, 20),
    ];
    // As the server sends them: JSON copies, with ids of their own, and a dead click whose
    // payload was left out for its size.
    const fromServer = structuredClone(deriveMarkers(events, { idPrefix: 'tab-a:0:', windowId: 'tab-a' }));
    const deadMarker = fromServer[1] as TimelineMarker;
    delete deadMarker.payload;
    deadMarker.payloadOmitted = true;
    const otherTab = deriveMarkers([rage(4_000, 40, 20)], { idPrefix: 'tab-b:0:', windowId: 'tab-b' });
    expect(labels(createTimeline(events, { markers: [...fromServer, ...otherTab] }))).toEqual([
      'Rage click ×3 on button "Pay $203.50"',
      'Rage click ×3 on button.primary',
      'Dead click on a "Help"',
    ]);
  });

  it('name a streaming rage once its click arrives, and the one derived from given events', () => {
    const first = [...checkout(), click(1_100, 11, 40, 20), rage(1_501, 40, 20)];
    const markers = deriveMarkers(first);
    expect(labels(createTimeline(first, { markers, complete: false }))).toEqual([
      'Rage click ×3 on button.primary',
    ]);
    const grown = [...first, click(1_500, 11, 40, 20)];
    expect(labels(createTimeline(grown, { markers }))).toEqual(['Rage click ×3 on button "Pay $203.50"']);
    expect(labels(createTimeline(grown))).toEqual(['Rage click ×3 on button "Pay $203.50"']);
  });
});
