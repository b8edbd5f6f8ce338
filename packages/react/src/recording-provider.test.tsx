import { render, screen } from '@testing-library/react';
import { createRef, forwardRef, type ReactNode, version } from 'react';
import { describe, expect, inject, it, vi } from 'vitest';
import { Blocked, Ignored, Masked, Unmasked, useCapture, useRecording, useSessionId } from './index';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The React major a test project runs against, where it is not the workspace's own (19). */
    reactMajor?: number;
  }
}

describe('React version', () => {
  it('is the one the test project names', () => {
    expect(Number.parseInt(version, 10)).toBe(inject('reactMajor') ?? 19);
  });
});

function Consumer({ hook }: { hook: () => unknown }) {
  hook();
  return null;
}

describe('hooks outside a provider', () => {
  it.each([
    ['useRecording()', useRecording],
    ['useSessionId()', useSessionId],
    ['useCapture()', useCapture],
  ])('%s throws an error that says how to fix it', (name, hook) => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(() => render(<Consumer hook={hook} />)).toThrow(`${name} must be used within <RecordingProvider>`);
    vi.restoreAllMocks();
  });
});

/** A component that forwards its ref to its element but not the props it was not written for. */
const CustomerCard = forwardRef<HTMLElement, { children?: ReactNode }>(function CustomerCard(
  { children },
  ref,
) {
  return (
    <section ref={ref} aria-label="customer">
      {children}
    </section>
  );
});

/** A component that takes neither a ref nor other props: nothing can reach its element. */
function ClosedCard({ children }: { children?: ReactNode }) {
  return <section aria-label="closed customer">{children}</section>;
}

describe('privacy wrappers', () => {
  it('render one element with their data attribute and forward refs', () => {
    const ref = createRef<HTMLDivElement>();
    render(
      <>
        <Masked ref={ref} aria-label="masked region">
          a
        </Masked>
        <Unmasked aria-label="unmasked region">b</Unmasked>
        <Blocked aria-label="blocked region">c</Blocked>
        <Ignored aria-label="ignored region">d</Ignored>
      </>,
    );
    expect(screen.getByLabelText('masked region')).toHaveAttribute('data-rk-mask', '');
    expect(ref.current).toBe(screen.getByLabelText('masked region'));
    expect(screen.getByLabelText('unmasked region')).toHaveAttribute('data-rk-unmask', '');
    expect(screen.getByLabelText('blocked region')).toHaveAttribute('data-rk-block', '');
    expect(screen.getByLabelText('ignored region')).toHaveAttribute('data-rk-ignore', '');
  });

  it('put the attribute on the child with asChild, keeping its own props', () => {
    render(
      <Masked asChild className="outer">
        <form aria-label="payment" className="inner" />
      </Masked>,
    );
    const form = screen.getByRole('form', { name: 'payment' });
    expect(form).toHaveAttribute('data-rk-mask', '');
    expect(form).toHaveClass('inner');
  });

  it('keep the child’s own ref with asChild, beside their own', () => {
    const own = createRef<HTMLInputElement>();
    const wrapper = createRef<HTMLDivElement>();
    const registered: Array<HTMLInputElement | null> = [];
    render(
      <>
        <Masked asChild ref={wrapper}>
          <input aria-label="card number" ref={own} />
        </Masked>
        <Unmasked asChild>
          <input
            aria-label="coupon"
            ref={(node) => {
              registered.push(node);
            }}
          />
        </Unmasked>
      </>,
    );
    expect(own.current).toBe(screen.getByLabelText('card number'));
    expect(wrapper.current).toBe(screen.getByLabelText('card number'));
    expect(registered).toEqual([screen.getByLabelText('coupon')]);
  });

  it('wrap text or several children of asChild in its own marked div, and report it, rather than throw', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    // A throw while rendering took the host's whole page down for a slip in its markup.
    const view = render(
      <>
        <Masked asChild>just text</Masked>
        <Blocked asChild>
          <p>Robin Hood</p>
          <p>12 Sherwood Lane</p>
        </Blocked>
      </>,
    );
    expect(screen.getByText('just text')).toHaveAttribute('data-rk-mask', '');
    expect(screen.getByText('Robin Hood').parentElement).toHaveAttribute('data-rk-block', '');
    expect(view.container.querySelectorAll('[data-rk-block] p')).toHaveLength(2);
    expect(error).toHaveBeenCalledTimes(2);
    expect(String(error.mock.calls[0]?.[0])).toContain(
      '<Masked asChild> needs one element child to put data-rk-mask on, not text, a Fragment or several children',
    );
    vi.restoreAllMocks();
  });

  it('render nothing, and neither throw nor report, for asChild with no child this render', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    // A conditional child, as `{signedIn && <form>…</form>}` gives while signed out: there is
    // nothing to mark, and a throw here took the whole page down.
    const form = (signedIn: boolean) => (
      <Masked asChild>{signedIn && <input aria-label="card number" defaultValue="4242" />}</Masked>
    );
    const view = render(form(false));
    expect(view.container.innerHTML).toBe('');
    view.rerender(form(true));
    expect(screen.getByLabelText('card number')).toHaveAttribute('data-rk-mask', '');
    expect(error).not.toHaveBeenCalled();
    vi.restoreAllMocks();
  });

  it('mark the element of a child component that forwards its ref but not other props, with asChild', () => {
    render(
      <Masked asChild>
        <CustomerCard>Robin Hood</CustomerCard>
      </Masked>,
    );
    expect(screen.getByLabelText('customer')).toHaveAttribute('data-rk-mask', '');
  });

  it('wrap a Fragment child of asChild, which renders no element of its own, in its marked div', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const address = (
      <>
        <p>Robin Hood</p>
        <p>12 Sherwood Lane</p>
      </>
    );
    render(<Masked asChild>{address}</Masked>);
    expect(screen.getByText('Robin Hood').parentElement).toHaveAttribute('data-rk-mask', '');
    expect(screen.getByText('12 Sherwood Lane').parentElement).toHaveAttribute('data-rk-mask', '');
    expect(error).toHaveBeenCalledOnce();
    expect(String(error.mock.calls[0]?.[0])).toContain('wrapped them in a <div data-rk-mask> instead');
    vi.restoreAllMocks();
  });

  it('say so when the child of asChild renders no element the attribute reached', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    render(
      <Blocked asChild>
        <ClosedCard>Robin Hood</ClosedCard>
      </Blocked>,
    );
    expect(error).toHaveBeenCalledWith(expect.stringContaining('<Blocked asChild> could not mark'));
    vi.restoreAllMocks();
  });
});
