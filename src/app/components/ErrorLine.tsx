import { printable } from '../../core/text/printable.ts';

/** An error as one readable line (control characters from names in files shown escaped). */
export function ErrorLine({ children }: { children: string | null | undefined }) {
  if (!children) return null;
  return (
    <p className="error-line" role="alert">
      {printable(children)}
    </p>
  );
}
