// A bar between two panes that a pointer drags or the arrow keys move; the size it sets is
// remembered in the browser, so that the IDE opens as it was left.
import { useState, type KeyboardEvent, type PointerEvent } from 'react';

/** A pane size in pixels, kept in localStorage under `key`. */
export function useStoredSize(key: string, initial: number) {
  const [size, setSize] = useState(() => Number(localStorage.getItem(key)) || initial);
  const set = (value: number) => {
    setSize(value);
    localStorage.setItem(key, String(value));
  };
  return [size, set] as const;
}

/** A separator that resizes the pane before it (after it when `isInverted`). */
export function Splitter(props: {
  /** `vertical` separates panes side by side; `horizontal` one above the other. */
  orientation: 'vertical' | 'horizontal';
  label: string;
  size: number;
  min: number;
  max: number;
  onResize: (size: number) => void;
  /** Whether moving right or down makes the pane smaller (a pane below or to the right). */
  isInverted?: boolean;
}) {
  const { orientation, label, size, min, max, isInverted = false } = props;
  const sign = isInverted ? -1 : 1;
  const onResize = (value: number) =>
    props.onResize(Math.min(max, Math.max(min, Math.round(value))));
  const axis = (event: { clientX: number; clientY: number }) =>
    orientation === 'vertical' ? event.clientX : event.clientY;

  const start = (event: PointerEvent<HTMLDivElement>) => {
    event.preventDefault();
    const handle = event.currentTarget;
    handle.setPointerCapture(event.pointerId);
    const from = axis(event);
    const move = (moved: globalThis.PointerEvent) => onResize(size + sign * (axis(moved) - from));
    const stop = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', stop);
      handle.removeEventListener('pointercancel', stop);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', stop);
    handle.addEventListener('pointercancel', stop);
  };

  const nudge = (event: KeyboardEvent) => {
    const step = event.shiftKey ? 64 : 16;
    const keys: Record<string, number> =
      orientation === 'vertical'
        ? { ArrowLeft: -step, ArrowRight: step }
        : { ArrowUp: -step, ArrowDown: step };
    const delta = keys[event.key];
    if (delta === undefined) return;
    event.preventDefault();
    onResize(size + sign * delta);
  };

  return (
    <div
      className={`ide-splitter ide-splitter-${orientation}`}
      role="separator"
      aria-label={label}
      aria-orientation={orientation}
      aria-valuenow={size}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      onPointerDown={start}
      onKeyDown={nudge}
    />
  );
}
