// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Masked, RecordingProvider, Unmasked, useRecording, useSessionId } from './index';

function Status() {
  const { status } = useRecording();
  const sessionId = useSessionId();
  return <p>{`status ${status}, session ${sessionId ?? 'none'}`}</p>;
}

describe('server rendering', () => {
  it('renders children untouched, records nothing and reads the idle server snapshot', () => {
    expect(typeof window).toBe('undefined');
    const html = renderToString(
      <RecordingProvider endpoint="https://replays.test" projectKey="rk_write_test">
        <Masked>
          <p>secret</p>
        </Masked>
        <Unmasked asChild>
          <section>public</section>
        </Unmasked>
        <Status />
      </RecordingProvider>,
    );
    expect(html).toContain('<div data-rk-mask=""><p>secret</p></div>');
    expect(html).toContain('<section data-rk-unmask="">public</section>');
    expect(html).toContain('status idle, session none');
  });
});
