import type { Page } from 'playwright-core';

/** What a shopper types during the checkout: personal data that must never be recorded in clear. */
export interface ShopperInput {
  email: string;
  cardDigits: string;
  /** Pause between steps, like a person reading the page (fixtures and screenshots use it). */
  stepDelayMs?: number;
}

/** How long to wait for the recorder to show its session id. */
const SESSION_TIMEOUT_MS = 15_000;

/**
 * Drives the demo shop like a shopper: two products into the cart, checkout, type an email
 * and a card number, pay (always declined, which captures `checkout_error`). Resolves with
 * the session id shown on the page.
 */
export async function driveCheckout(page: Page, demoUrl: string, shopper: ShopperInput): Promise<string> {
  await page.goto(`${demoUrl}/`);
  const sessionLabel = page.getByTestId('session-id');
  await page.waitForFunction(
    () => /^[0-9a-f-]{36}$/.test(document.querySelector('[data-testid="session-id"]')?.textContent ?? ''),
    undefined,
    { timeout: SESSION_TIMEOUT_MS },
  );
  const sessionId = (await sessionLabel.textContent()) ?? '';
  const pause = () => page.waitForTimeout(shopper.stepDelayMs ?? 0);
  const keyDelay = Math.min(80, Math.max(5, (shopper.stepDelayMs ?? 0) / 10));
  await pause();
  await page.getByRole('button', { name: 'Add Anvil to cart' }).click();
  await pause();
  await page.getByRole('button', { name: 'Add Giant magnet to cart' }).click();
  await pause();
  await page.getByRole('button', { name: /View cart/ }).click();
  await pause();
  await page.getByRole('button', { name: 'Checkout' }).click();
  await pause();
  await page.getByLabel('Email').pressSequentially(shopper.email, { delay: keyDelay });
  await pause();
  await page.getByLabel('Card number').pressSequentially(shopper.cardDigits, { delay: keyDelay });
  await pause();
  // The page shows the card number as text too, so text masking matters, not only inputs.
  const preview = (await page.getByTestId('card-preview').textContent()) ?? '';
  if (preview.replace(/\D/g, '') !== shopper.cardDigits) {
    throw new Error(`The card preview shows "${preview}" instead of the typed card number.`);
  }
  await page.getByRole('button', { name: /^Pay/ }).click();
  await page.getByRole('alert').waitFor();
  await pause();
  // Leaving the shop unmounts the provider, which stops the recorder and sends what is left.
  await page.getByRole('link', { name: 'Replays' }).click();
  return sessionId;
}
