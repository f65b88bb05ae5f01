import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// The shared styles first, so that a page's own stylesheet wins over them.
import './styles.css';
import { App } from './app';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
