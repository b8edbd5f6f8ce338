import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import '@replaykit/player/style.css';
import './styles.css';

const container = document.getElementById('root');
if (!container) {
  throw new Error('The demo needs an element with id "root" in index.html.');
}
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
