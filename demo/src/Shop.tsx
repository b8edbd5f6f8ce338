import { Masked, useCapture, useSessionId } from '@replaykit/react';
import { type FormEvent, useLayoutEffect, useRef, useState } from 'react';

interface Product {
  id: string;
  name: string;
  priceCents: number;
}

const PRODUCTS: Product[] = [
  { id: 'anvil', name: 'Anvil', priceCents: 12_900 },
  { id: 'rocket-skates', name: 'Rocket skates', priceCents: 24_500 },
  { id: 'giant-magnet', name: 'Giant magnet', priceCents: 7_450 },
];

interface CartLine extends Product {
  lineId: number;
}

let nextLineId = 1;

type Step = 'products' | 'cart' | 'checkout' | 'declined';

function formatPrice(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

/** Groups typed digits by four, as card forms do. */
function formatCardNumber(digits: string): string {
  return digits.replace(/\D/g, '').replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** Colours of the order chart's bars, one per cart line in turn; all grey once payment is declined. */
const ORDER_CHART_COLOURS = ['#3452d1', '#e0851a', '#1f9d6b'];
const DECLINED_COLOUR = '#8a8f9c';

/**
 * The order as a stacked bar drawn on a canvas, one segment per line sized by its price: a
 * canvas for the recorder's canvas snapshots to record and the player to show.
 */
function OrderChart({
  lines,
  totalCents,
  declined,
}: {
  lines: CartLine[];
  totalCents: number;
  declined: boolean;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  // Drawn before the browser paints, so the canvas is never seen (nor recorded) empty.
  useLayoutEffect(() => {
    const context = canvasRef.current?.getContext('2d');
    if (!context) {
      return;
    }
    const { width, height } = context.canvas;
    const total = totalCents || 1;
    context.clearRect(0, 0, width, height);
    let x = 0;
    lines.forEach((line, index) => {
      const segment = Math.round((line.priceCents / total) * width);
      context.fillStyle = declined
        ? DECLINED_COLOUR
        : (ORDER_CHART_COLOURS[index % ORDER_CHART_COLOURS.length] as string);
      context.fillRect(x, 0, segment, height);
      x += segment;
    });
  }, [lines, totalCents, declined]);
  const label = lines.map((line) => `${line.name} ${formatPrice(line.priceCents)}`).join(', ');
  return (
    <canvas ref={canvasRef} className="order-chart" width={280} height={16} role="img" aria-label={label} />
  );
}

/** A three-step shop whose payment always fails, so there is an error to find in the replay. */
export function Shop() {
  const capture = useCapture();
  const sessionId = useSessionId();
  const [step, setStep] = useState<Step>('products');
  const [cart, setCart] = useState<CartLine[]>([]);
  const [email, setEmail] = useState('');
  const [cardNumber, setCardNumber] = useState('');
  const total = cart.reduce((sum, product) => sum + product.priceCents, 0);

  const pay = (event: FormEvent) => {
    event.preventDefault();
    capture('checkout_error', {
      code: 'card_declined',
      step: 'payment',
      totalCents: total,
      items: cart.length,
    });
    setStep('declined');
  };

  return (
    <section className="shop" aria-labelledby="shop-title">
      <p className="session-note">
        Recording session <code data-testid="session-id">{sessionId ?? '…'}</code>
      </p>
      {step === 'products' && (
        <>
          <h1 id="shop-title">Products</h1>
          <ul className="products">
            {PRODUCTS.map((product) => (
              <li key={product.id} className="product">
                <span>{product.name}</span>
                <span>{formatPrice(product.priceCents)}</span>
                <button
                  type="button"
                  onClick={() => setCart((items) => [...items, { ...product, lineId: nextLineId++ }])}
                >
                  Add {product.name} to cart
                </button>
              </li>
            ))}
          </ul>
          <button
            type="button"
            className="primary"
            disabled={cart.length === 0}
            onClick={() => setStep('cart')}
          >
            View cart ({cart.length})
          </button>
        </>
      )}
      {step === 'cart' && (
        <>
          <h1 id="shop-title">Cart</h1>
          <ul className="products">
            {cart.map((product) => (
              <li key={product.lineId} className="product">
                <span>{product.name}</span>
                <span>{formatPrice(product.priceCents)}</span>
              </li>
            ))}
          </ul>
          <p className="total">Total {formatPrice(total)}</p>
          <button type="button" className="primary" onClick={() => setStep('checkout')}>
            Checkout
          </button>
        </>
      )}
      {(step === 'checkout' || step === 'declined') && (
        <form className="checkout" onSubmit={pay} aria-labelledby="shop-title">
          <h1 id="shop-title">Checkout</h1>
          <label>
            Email
            <input
              type="email"
              name="email"
              autoComplete="email"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              required
            />
          </label>
          <Masked className="card">
            <label>
              Card number
              <input
                name="card-number"
                inputMode="numeric"
                autoComplete="cc-number"
                value={cardNumber}
                onChange={(event) => setCardNumber(formatCardNumber(event.target.value))}
                required
              />
            </label>
            <p className="card-preview" data-testid="card-preview">
              {cardNumber || '•••• •••• •••• ••••'}
            </p>
          </Masked>
          <OrderChart lines={cart} totalCents={total} declined={step === 'declined'} />
          <p className="total">Total {formatPrice(total)}</p>
          <button type="submit" className="primary">
            Pay {formatPrice(total)}
          </button>
          {step === 'declined' && (
            <p role="alert" className="error">
              Payment declined: your card was refused. Try another card.
            </p>
          )}
        </form>
      )}
    </section>
  );
}
