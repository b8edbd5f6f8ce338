import type { RecordedEvent } from '@replaykit/core';
import { describe, expect, it, vi } from 'vitest';
import {
  CanvasSnapshotPainter,
  MAX_SNAPSHOT_COMMANDS,
  parseDataUrl,
  snapshotPicture,
} from './canvas-snapshots';

const IMAGE_ARGUMENT = {
  rr_type: 'ImageBitmap',
  args: [{ rr_type: 'Blob', type: 'image/webp', data: [{ rr_type: 'ArrayBuffer', base64: 'UklGRg==' }] }],
};

function snapshotData(commands: unknown[], type = 0) {
  return { source: 9, id: 6, type, commands };
}

const RECORDER_COMMANDS = [
  { property: 'clearRect', args: [0, 0, 300, 150] },
  { property: 'drawImage', args: [IMAGE_ARGUMENT, 0, 0] },
];

describe('snapshotPicture', () => {
  it('reads the recorder’s image snapshot: clear, then draw a WebP blob', () => {
    expect(snapshotPicture(snapshotData(RECORDER_COMMANDS))?.steps).toEqual([
      { kind: 'clear', rect: [0, 0, 300, 150] },
      {
        kind: 'draw',
        image: { mimeType: 'image/webp', parts: ['UklGRg=='], encoding: 'base64' },
        args: [0, 0],
      },
    ]);
  });

  it('accepts drawImage with a destination size or a source rectangle', () => {
    expect(
      snapshotPicture(snapshotData([{ property: 'drawImage', args: [IMAGE_ARGUMENT, 0, 0, 10, 10] }])),
    ).not.toBeNull();
    expect(
      snapshotPicture(
        snapshotData([{ property: 'drawImage', args: [IMAGE_ARGUMENT, 0, 0, 5, 5, 0, 0, 10, 10] }]),
      ),
    ).not.toBeNull();
  });

  it.each([
    ['a 2D command stream', snapshotData([{ property: 'fillRect', args: [0, 0, 10, 10] }])],
    ['a property set', snapshotData([{ property: 'fillStyle', args: ['red'], setter: true }])],
    ['WebGL', snapshotData(RECORDER_COMMANDS, 1)],
    [
      'a single command without a list',
      { source: 9, id: 6, type: 0, property: 'clearRect', args: [0, 0, 1, 1] },
    ],
    ['a clear alone', snapshotData([RECORDER_COMMANDS[0]])],
    [
      'an image from a URL',
      snapshotData([{ property: 'drawImage', args: ['https://img.example/a.png', 0, 0] }]),
    ],
    [
      'a non-finite position',
      snapshotData([{ property: 'drawImage', args: [IMAGE_ARGUMENT, Number.NaN, 0] }]),
    ],
    ['three numbers', snapshotData([{ property: 'drawImage', args: [IMAGE_ARGUMENT, 0, 0, 1] }])],
    [
      'a blob part that is not base64',
      snapshotData([
        {
          property: 'drawImage',
          args: [
            {
              ...IMAGE_ARGUMENT,
              args: [{ rr_type: 'Blob', type: 'image/webp', data: [{ rr_type: 'ArrayBuffer' }] }],
            },
            0,
            0,
          ],
        },
      ]),
    ],
    [
      'too many commands',
      snapshotData(Array.from({ length: MAX_SNAPSHOT_COMMANDS + 1 }, () => RECORDER_COMMANDS[1])),
    ],
    ['garbage', 'not an object'],
  ])('rejects %s', (_name, data) => {
    expect(snapshotPicture(data)).toBeNull();
  });
});

describe('parseDataUrl', () => {
  it('reads base64 and percent-encoded data URLs', () => {
    expect(parseDataUrl('data:image/png;base64,iVBORw0=')).toEqual({
      mimeType: 'image/png',
      parts: ['iVBORw0='],
      encoding: 'base64',
    });
    expect(parseDataUrl('data:image/svg+xml;charset=utf-8,%3Csvg%3E')).toEqual({
      mimeType: 'image/svg+xml',
      parts: ['%3Csvg%3E'],
      encoding: 'percent',
    });
  });

  it('refuses anything else', () => {
    expect(parseDataUrl('https://img.example/a.png')).toBeNull();
    expect(parseDataUrl('data:image/png;base64')).toBeNull();
  });
});

describe('CanvasSnapshotPainter.prepare', () => {
  const canvasNode = (id: number, dataUrl?: string) => ({
    type: 2,
    id,
    tagName: 'canvas',
    attributes: dataUrl ? { width: '300', rr_dataURL: dataUrl } : { width: '300' },
    childNodes: [],
  });

  it('takes canvas rr_dataURLs out of the Replayer’s copies, wherever they are, and leaves images alone', () => {
    const image = {
      type: 2,
      id: 9,
      tagName: 'img',
      attributes: { rr_dataURL: 'data:image/png;base64,AA==' },
      childNodes: [],
    };
    const full: RecordedEvent = {
      type: 2,
      timestamp: 1,
      data: {
        node: {
          type: 0,
          id: 1,
          childNodes: [
            {
              type: 2,
              id: 2,
              tagName: 'body',
              attributes: {},
              childNodes: [canvasNode(6, 'data:image/png;base64,AA=='), image],
            },
          ],
        },
      },
    };
    const added: RecordedEvent = {
      type: 3,
      timestamp: 2,
      data: {
        source: 0,
        adds: [{ parentId: 2, nextId: null, node: canvasNode(7, 'data:image/png;base64,AA==') }],
        attributes: [],
        texts: [],
        removes: [],
      },
    };
    const changed: RecordedEvent = {
      type: 3,
      timestamp: 3,
      data: {
        source: 0,
        adds: [],
        attributes: [{ id: 6, attributes: { rr_dataURL: 'data:image/png;base64,AA==' } }],
        texts: [],
        removes: [],
      },
    };
    new CanvasSnapshotPainter().prepare([full, added, changed]);
    expect(JSON.stringify([full, added, changed])).not.toMatch(/"tagName":"canvas"[^}]*rr_dataURL/);
    expect((changed.data as { attributes: Array<{ attributes: object }> }).attributes[0]?.attributes).toEqual(
      {},
    );
    expect(image.attributes.rr_dataURL).toBe('data:image/png;base64,AA==');
  });

  it('says once that command streams need UNSAFE_replayCanvas', () => {
    const onUnsupported = vi.fn();
    const stream = (timestamp: number): RecordedEvent => ({
      type: 3,
      timestamp,
      data: snapshotData([{ property: 'fillRect', args: [0, 0, 10, 10] }]),
    });
    const painter = new CanvasSnapshotPainter({ onUnsupported });
    painter.prepare([stream(1), stream(2)]);
    painter.prepare([{ type: 3, timestamp: 3, data: snapshotData(RECORDER_COMMANDS) }]);
    expect(onUnsupported).toHaveBeenCalledTimes(1);
    expect(onUnsupported.mock.calls[0]?.[0]).toContain('UNSAFE_replayCanvas');
  });
});
