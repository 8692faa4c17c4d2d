import { useState } from 'react';
import { CheckpointsPanel } from './components/CheckpointsPanel.tsx';
import { CompatPanel } from './components/CompatPanel.tsx';
import { DeviceLost } from './components/DeviceLost.tsx';
import { EvaluatePanel } from './components/EvaluatePanel.tsx';
import { GpuMemoryPanel } from './components/GpuMemoryPanel.tsx';
import { MergePanel } from './components/MergePanel.tsx';
import { ReportPanel } from './components/ReportPanel.tsx';
import { RunsPanel } from './components/RunsPanel.tsx';
import { TryItPanel } from './components/TryItPanel.tsx';
import { VectorPanel } from './components/VectorPanel.tsx';
import { useActions, useStudio } from './StoreProvider.tsx';
import { formatBytes } from './format.ts';
import { demoReplaces } from './store/guide.ts';
import { isBusy } from './store/state.ts';
import { GuideBar } from './components/Guide.tsx';

/** Where the merge runs: WebGPU in the GPU worker, or the CPU fallback, said plainly. */
function BackendStatus() {
  const backend = useStudio((s) => s.backend);
  let text: string;
  let state: string;
  let title: string | undefined;
  let limitAttributes: Record<string, number | undefined> = {};
  if (backend.status === 'checking') {
    text = 'WebGPU: checking…';
    state = 'checking';
  } else if (backend.status === 'error') {
    text = `Merge backend failed to start: ${backend.error}`;
    state = 'unavailable';
  } else if (backend.info.kind === 'webgpu') {
    text = `WebGPU: available (adapter: ${backend.info.adapter})`;
    state = 'available';
    const { limits, adapterLimits } = backend.info;
    const limitText = limits
      ? `onnxruntime's device: buffers up to ${formatBytes(limits.maxBufferSize)}, bindings up to ${formatBytes(limits.maxStorageBufferBindingSize)}${adapterLimits ? ` (the adapter offers ${formatBytes(adapterLimits.maxBufferSize)} and ${formatBytes(adapterLimits.maxStorageBufferBindingSize)})` : ''}.`
      : undefined;
    title = [backend.info.software ? 'A software adapter: correct, but slower than a GPU.' : null, limitText].filter(Boolean).join(' ') || undefined;
    limitAttributes = limits ? { 'data-max-buffer': limits.maxBufferSize, 'data-max-binding': limits.maxStorageBufferBindingSize, 'data-adapter-max-buffer': adapterLimits?.maxBufferSize, 'data-adapter-max-binding': adapterLimits?.maxStorageBufferBindingSize } : {};
  } else {
    text = `WebGPU: not available — merges run on the CPU (${backend.info.kernel})`;
    state = 'unavailable';
    title = backend.info.reason;
  }
  return (
    <p className={`status status-${state}`} role="status" data-testid="webgpu-status" data-state={state} title={title} {...limitAttributes}>
      {text}
    </p>
  );
}

/** "Try the demo": asks first when it would replace the user's checkpoints or data. */
function DemoButton() {
  const loading = useStudio((s) => s.demoLoading);
  const busy = useStudio(isBusy);
  const replaces = useStudio(demoReplaces);
  const { loadDemo } = useActions();
  const [asking, setAsking] = useState(false);
  const start = () => {
    setAsking(false);
    void loadDemo();
  };
  return (
    <div className="demo-button">
      <button type="button" className="primary" onClick={() => (replaces.length > 0 ? setAsking(true) : start())} disabled={loading || busy}>
        {loading ? 'Building the demo…' : 'Try the demo'}
      </button>
      {asking && replaces.length > 0 && (
        <div className="confirm" role="alertdialog" aria-label="Replace with the demo?">
          <p>The demo replaces what you loaded: {listOf(replaces)}.</p>
          <button type="button" className="primary" onClick={start}>
            Replace with the demo
          </button>
          <button type="button" onClick={() => setAsking(false)}>
            Keep mine
          </button>
        </div>
      )}
    </div>
  );
}

/** "a", "a and b", "a, b and c". */
function listOf(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function Notice() {
  const notice = useStudio((s) => s.notice);
  const { dismissNotice } = useActions();
  if (!notice) return null;
  return (
    <div className="notice" role="alert">
      <span>{notice}</span>
      <button type="button" className="link" onClick={dismissNotice}>
        Dismiss
      </button>
    </div>
  );
}

export function App() {
  return (
    <>
      <header className="masthead">
        <div>
          <h1>Reasoning Vector Studio</h1>
          <p className="lead">
            Extract a reasoning vector (θ<sub>GRPO</sub> − θ<sub>SFT</sub>) and merge it into a compatible model, in this browser. Nothing is
            uploaded: files stay on your machine.
          </p>
        </div>
        <div className="masthead-side">
          <DemoButton />
          <BackendStatus />
        </div>
      </header>
      <main className="content">
        <Notice />
        <DeviceLost />
        <GuideBar />
        <CheckpointsPanel />
        <CompatPanel />
        <VectorPanel />
        <MergePanel />
        <GpuMemoryPanel />
        <TryItPanel />
        <EvaluatePanel />
        <RunsPanel />
        <ReportPanel />
      </main>
    </>
  );
}
