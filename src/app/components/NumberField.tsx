import { useEffect, useState } from 'react';
import { parseNumber } from '../store/settings.ts';

/** A number field that keeps what is typed until it parses. */
/** `invalid`: the value parses but cannot be used (e.g. α beyond its bound); marked like text that does not parse. */
export function NumberField({ label, value, onChange, step, min, max, disabled, invalid: unusable }: { label: string; value: number; onChange: (x: number) => void; step?: number; min?: number; max?: number; disabled?: boolean; invalid?: boolean }) {
  const [text, setText] = useState(String(value));
  useEffect(() => {
    if (parseNumber(text) !== value) setText(String(value));
  }, [value]);
  const invalid = parseNumber(text) === null || unusable === true;
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
