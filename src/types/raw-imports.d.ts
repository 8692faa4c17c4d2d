// Vite's `?raw` imports (a file's text), for the Node-side type check: unit tests import browser
// modules that bundle text this way (the demo's data files). The browser projects get the same
// declaration from vite/client.
declare module '*?raw' {
  const text: string;
  export default text;
}
