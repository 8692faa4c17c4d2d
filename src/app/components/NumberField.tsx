import { useEffect, useState } from 'react';
import { parseNumber } from '../store/settings.ts';

/** A number field that keeps what is typed until it parses. */
export function NumberField({ label, value, onChange, step, min, max, disabled }: { label: string; value: number; onChange: (x: number) => void; step?: number; min?: number; max?: number; disabled?: boolean }) {
  const [text, setText] = useState(String(value));
  useEffect(() => {
    if (parseNumber(text) !== value) setText(String(value));
  }, [value]);
  const invalid = parseNumber(text) === null;
  return (
    <input
      type="number"
      aria-label={label}
      aria-invalid={invalid || undefined}
      value={text}
      step={step}
      min={min}
      max={max}
      disabled={disabled}
      onChange={(e) => {
        setText(e.target.value);
        const x = parseNumber(e.target.value);
        if (x !== null) onChange(x);
      }}
    />
  );
}
