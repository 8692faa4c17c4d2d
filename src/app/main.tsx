import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { opfsDatasetCache } from '../browser/page/dataset-cache.ts';
import { indexedDbFolders } from '../browser/page/handle-store.ts';
import { opfsHubCache } from '../browser/page/hub-cache.ts';
import { indexedDbRuns } from '../browser/page/run-store.ts';
import { hubEndpointFromUrl, hubFetch } from '../browser/page/hub-endpoint.ts';
import { startGpuWorker } from '../browser/page/worker-client.ts';
import { App } from './App.tsx';
import { StoreProvider } from './StoreProvider.tsx';
import { createStudioStore } from './store/store.ts';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html is missing #root');

// A worker that fails to load (or crashes) would leave every call pending: say so instead.
const gpuWorker = startGpuWorker((detail) => {
  store.setState({ backend: { status: 'error', error: detail }, notice: `The GPU worker stopped: ${detail}. Reload the page.` });
});
const { engine } = gpuWorker;
// Browser tests slow saves down so that "Cancel" lands mid-save (see e2e/save.spec.ts).
const writeDelayMs = Number(new URLSearchParams(location.search).get('rvs-test-write-delay'));
if (writeDelayMs > 0) void engine.configureTesting({ writeDelayMs });
const hubEndpoint = hubEndpointFromUrl(location.search);
const store = createStudioStore({
  engine,
  folders: indexedDbFolders,
  runs: indexedDbRuns,
  hub: { fetch: hubFetch, models: opfsHubCache, datasets: opfsDatasetCache },
  ...(hubEndpoint ? { hubEndpoint } : {}),
  restartEngine: () => gpuWorker.restart(),
});
// e2e: loses the GPU device as a driver reset would (device.destroy() in the worker).
if (new URLSearchParams(location.search).has('rvs-test-hooks')) {
  (window as unknown as { rvsLoseDevice?: () => Promise<void> }).rvsLoseDevice = () => engine.configureTesting({ loseDevice: true });
}
void store.getState().init();

createRoot(container).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
