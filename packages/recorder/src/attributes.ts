/**
 * Data attributes that the React wrappers set and that plain markup can use directly.
 * Kept apart from the privacy rules (which need rrweb) so that importing them costs nothing.
 */
export const PRIVACY_ATTRIBUTES = {
  mask: 'data-rk-mask',
  unmask: 'data-rk-unmask',
  block: 'data-rk-block',
  ignore: 'data-rk-ignore',
} as const;
