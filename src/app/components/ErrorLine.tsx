/** An error as one readable line. */
export function ErrorLine({ children }: { children: string | null | undefined }) {
  if (!children) return null;
  return (
    <p className="error-line" role="alert">
      {children}
    </p>
  );
}
