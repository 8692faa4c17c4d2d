/**
 * What `npm start` prints once the dev server listens: the address to open, in a browser with
 * WebGPU, and — where no browser can be opened from here (no display, `BROWSER=none`, a remote
 * shell) — that it could not open one and how to reach the studio anyway. vite.config.ts prints it.
 */

export interface StartEnvironment {
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Why no browser can be opened from this process, or null when one probably can. */
export function cannotOpenBrowser({ platform, env }: StartEnvironment): string | null {
  if (env['BROWSER'] === 'none') return 'BROWSER=none is set';
  if (env['CI']) return 'this is a CI run';
  if (platform === 'linux' && !env['DISPLAY'] && !env['WAYLAND_DISPLAY']) {
    return env['SSH_CONNECTION'] ? 'this is a remote shell without a display' : 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  }
  return null;
}

/** The lines to print; `url` is the server's local address (http://127.0.0.1:5173/). */
export function startMessage(url: string, environment: StartEnvironment): string[] {
  const port = new URL(url).port || '80';
  const reason = cannotOpenBrowser(environment);
  const lines = [`  Reasoning Vector Studio: open ${url} in Chrome or Edge (WebGPU; other browsers run it on the CPU).`];
  if (reason) {
    lines.push(`  No browser was opened: ${reason}.`);
    lines.push(`  From another machine, forward the port first: ssh -L ${port}:127.0.0.1:${port} <this host>, then open ${url} there.`);
  }
  return lines;
}
