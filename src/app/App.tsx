import { useEffect, useState } from "react";

type GpuStatus =
  | { kind: "checking" }
  | { kind: "available"; adapter: string }
  | { kind: "unavailable"; reason: string };

function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return "unknown";
  const parts = [info.description, info.vendor, info.architecture, info.device].filter((p) => p);
  return parts.length > 0 ? [...new Set(parts)].join(", ") : "unknown";
}

async function probeWebGpu(): Promise<GpuStatus> {
  if (!("gpu" in navigator) || !navigator.gpu) {
    return { kind: "unavailable", reason: "this browser has no navigator.gpu" };
  }
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { kind: "unavailable", reason: "no adapter" };
    return { kind: "available", adapter: describeAdapter(adapter.info) };
  } catch (error) {
    return { kind: "unavailable", reason: error instanceof Error ? error.message : String(error) };
  }
}

function WebGpuStatus() {
  const [status, setStatus] = useState<GpuStatus>({ kind: "checking" });

  useEffect(() => {
    let live = true;
    void probeWebGpu().then((s) => {
      if (live) setStatus(s);
    });
    return () => {
      live = false;
    };
  }, []);

  let text: string;
  switch (status.kind) {
    case "checking":
      text = "WebGPU: checking…";
      break;
    case "available":
      text = `WebGPU: available (adapter: ${status.adapter})`;
      break;
    case "unavailable":
      text = "WebGPU: not available — the CPU path will be used";
      break;
  }

  return (
    <p
      className={`status status-${status.kind}`}
      role="status"
      data-testid="webgpu-status"
      data-state={status.kind}
      title={status.kind === "unavailable" ? status.reason : undefined}
    >
      {text}
    </p>
  );
}

export function App() {
  return (
    <>
      <header className="masthead">
        <h1>Reasoning Vector Studio</h1>
      </header>
      <main className="content">
        <p className="lead">
          Extract a reasoning vector (θ<sub>GRPO</sub> − θ<sub>SFT</sub>) from a pair of checkpoints and merge it
          into a compatible model, right here in the browser. Nothing is uploaded: files stay on your machine.
        </p>
        <WebGpuStatus />
      </main>
    </>
  );
}
