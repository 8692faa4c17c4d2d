import { describe, expect, it } from 'vitest';
import { cannotOpenBrowser, startMessage } from './start-message.ts';

const URL_ = 'http://127.0.0.1:5173/';

describe('npm start’s message', () => {
  it('names the address to open, always', () => {
    expect(startMessage(URL_, { platform: 'darwin', env: {} })).toEqual(['  Reasoning Vector Studio: open http://127.0.0.1:5173/ in Chrome or Edge (WebGPU; other browsers run it on the CPU).']);
  });

  it('says why no browser opened, and how to reach the studio from elsewhere', () => {
    const lines = startMessage(URL_, { platform: 'linux', env: { SSH_CONNECTION: '10.0.0.2 5000 10.0.0.1 22' } });
    expect(lines[0]).toContain('open http://127.0.0.1:5173/');
    expect(lines[1]).toBe('  No browser was opened: this is a remote shell without a display.');
    expect(lines[2]).toBe('  From another machine, forward the port first: ssh -L 5173:127.0.0.1:5173 <this host>, then open http://127.0.0.1:5173/ there.');
  });

  it('knows when a browser cannot be opened', () => {
    expect(cannotOpenBrowser({ platform: 'linux', env: {} })).toMatch(/no display/);
    expect(cannotOpenBrowser({ platform: 'linux', env: { DISPLAY: ':0' } })).toBeNull();
    expect(cannotOpenBrowser({ platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0' } })).toBeNull();
    expect(cannotOpenBrowser({ platform: 'win32', env: {} })).toBeNull();
    expect(cannotOpenBrowser({ platform: 'darwin', env: { BROWSER: 'none' } })).toBe('BROWSER=none is set');
  });
});
