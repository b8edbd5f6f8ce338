'use client';

import { PRIVACY_ATTRIBUTES } from '@replaykit/recorder';
import {
  cloneElement,
  type ForwardedRef,
  Fragment,
  forwardRef,
  type HTMLAttributes,
  isValidElement,
  type ReactElement,
  type ReactNode,
  type Ref,
  useEffect,
  useRef,
  version,
} from 'react';

export interface PrivacyWrapperProps extends HTMLAttributes<HTMLDivElement> {
  /** Put the privacy attribute on the only child instead of rendering a `<div>`. */
  asChild?: boolean;
  children?: ReactNode;
}

/** React 19 passes `ref` as an ordinary prop; React 18 keeps it on the element. */
const REF_IS_A_PROP = Number.parseInt(version, 10) >= 19;

/** An element of any document (a portal may render into an iframe's), not a class component's instance. */
function isElement(node: unknown): node is Element {
  return (node as Node | null)?.nodeType === 1;
}

/** Points a ref (callback or object) at `node`. */
function setRef<T>(ref: Ref<T> | undefined, node: T | null): void {
  if (typeof ref === 'function') {
    ref(node);
  } else if (ref) {
    ref.current = node;
  }
}

function usePrivacyWrapper(
  attribute: string,
  displayName: string,
  { asChild = false, children, ...props }: PrivacyWrapperProps,
  ref: ForwardedRef<HTMLDivElement>,
) {
  const markerProps = { [attribute]: '' };
  /** The element the child rendered, as its ref saw it: where the attribute must be. */
  const marked = useRef<Element | null>(null);
  const reported = useRef(false);
  // A conditional child that is off this render (`{signedIn && <form>…</form>}`): nothing to mark.
  const noChild = children == null || typeof children === 'boolean';
  // Text, several children or a Fragment give no one element to carry the attribute: they are
  // wrapped in the wrapper's own <div> instead, so what they show stays hidden, and reported.
  // A throw while rendering would take the host's page down for a slip in its markup.
  const unmarkable = asChild && !noChild && !(isValidElement(children) && children.type !== Fragment);
  useEffect(() => {
    if (!asChild || noChild || reported.current) {
      return;
    }
    if (unmarkable) {
      reported.current = true;
      console.error(
        `<${displayName} asChild> needs one element child to put ${attribute} on, not text, a Fragment or ` +
          `several children; it wrapped them in a <div ${attribute}> instead. Give it one element child, or drop asChild.`,
      );
    } else if (!marked.current?.hasAttribute(attribute)) {
      reported.current = true;
      // Nothing here tells the recorder to hide this content: say so where it is written.
      console.error(
        `<${displayName} asChild> could not mark the element its child renders with ${attribute}, so the ` +
          'recording does not treat it as such. Make the child component forward its ref (and other props) to ' +
          `its element, or drop asChild to wrap it in a <div ${attribute}>.`,
      );
    }
  });
  if (asChild && noChild) {
    // A conditional child that is off this render: nothing to mark, as without the wrapper.
    return null;
  }
  if (asChild && !unmarkable) {
    const element = children as ReactElement<{ ref?: Ref<HTMLElement> }>;
    // The child keeps its own ref (a form library's `register`, say) beside the wrapper's:
    // a prop since React 19, a field of the element before. Asked by version, not by what
    // the element has: React 18 puts a `ref` getter on props that returns undefined (and
    // warns in development), and React 19 warns when `element.ref` is read.
    const childRef = REF_IS_A_PROP
      ? element.props.ref
      : (element as unknown as { ref?: Ref<HTMLElement> }).ref;
    const bothRefs = (node: HTMLDivElement | null) => {
      // A child component may pass its ref on to its element but not props it was not
      // written for: the attribute goes on the element that the ref reached.
      const target = isElement(node) ? node : null;
      if (target && !target.hasAttribute(attribute)) {
        target.setAttribute(attribute, '');
      }
      marked.current = target;
      setRef(ref, node);
      setRef(childRef, node);
    };
    return cloneElement(element, { ...props, ...element.props, ...markerProps, ref: bothRefs });
  }
  return (
    <div {...props} {...markerProps} ref={ref}>
      {children}
    </div>
  );
}

/** Masks text and input values inside (each character becomes `*`). */
export const Masked = forwardRef<HTMLDivElement, PrivacyWrapperProps>(function Masked(props, ref) {
  return usePrivacyWrapper(PRIVACY_ATTRIBUTES.mask, 'Masked', props, ref);
});

/** Records text and inputs inside in clear, even under a preset that masks them; passwords and payment fields stay masked. */
export const Unmasked = forwardRef<HTMLDivElement, PrivacyWrapperProps>(function Unmasked(props, ref) {
  return usePrivacyWrapper(PRIVACY_ATTRIBUTES.unmask, 'Unmasked', props, ref);
});

/** Replaces the element with an empty box of the same size in the recording. */
export const Blocked = forwardRef<HTMLDivElement, PrivacyWrapperProps>(function Blocked(props, ref) {
  return usePrivacyWrapper(PRIVACY_ATTRIBUTES.block, 'Blocked', props, ref);
});

/** Records no input events inside, and masks the values of the fields inside under every preset. */
export const Ignored = forwardRef<HTMLDivElement, PrivacyWrapperProps>(function Ignored(props, ref) {
  return usePrivacyWrapper(PRIVACY_ATTRIBUTES.ignore, 'Ignored', props, ref);
});
