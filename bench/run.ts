// `npm run bench`: runs each benchmark module in turn. Add a module to the list to add a benchmark;
// each default-exports an async function that prints its own figures and ratios.
export interface BenchmarkModule {
  default: () => Promise<void>;
}

const BENCHMARKS: ReadonlyArray<{ name: string; load: () => Promise<BenchmarkModule> }> = [
  { name: "codec (SDP ⇄ Jingle round trips)", load: () => import("./codec.js") },
  { name: "call setup (accept to first frame, signaling cost)", load: () => import("./call-setup.js") },
  { name: "mid-call video again (camera off and on, first frame at the peer)", load: () => import("./video-again.js") },
];

const only = process.argv[2];
for (const bench of BENCHMARKS) {
  if (only && !bench.name.startsWith(only)) continue;
  console.log(`\n== ${bench.name}`);
  const mod = await bench.load();
  await mod.default();
}
