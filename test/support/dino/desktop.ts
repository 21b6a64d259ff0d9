import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DinoNamespace } from "./namespace.ts";
import { spawnIn, stopAll, type NsProcess } from "./processes.ts";

/*
 * What a desktop gives Dino, headless and inside the namespace (INTEROP.md "Running Dino
 * headless"): an X server (Xvfb, no window manager: windows open at 0,0), a private session bus
 * on a unix:path address (abstract sockets are per network namespace), and PulseAudio with a null
 * sink for the speaker and a virtual microphone fed by a GStreamer test tone.
 */

export interface Desktop {
  /** ":N" */
  display: string;
  /** unix:path=… */
  busAddress: string;
  /** unix:… for PULSE_SERVER */
  pulseServer: string;
  /** The environment a desktop program of this session runs with. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number, died?: () => string | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    const death = died?.();
    if (death) throw new Error(`${what}: ${death}`);
    await sleep(50);
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`);
}

/** The first line a process prints on stdout (Xvfb -displayfd, dbus-daemon --print-address). */
function firstLine(p: NsProcess, what: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${what} printed nothing within ${timeoutMs} ms`)), timeoutMs);
    p.child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl).trim());
      }
    });
    p.child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (code ${code}) before it was ready`));
    });
  });
}

export async function startDesktop(ns: DinoNamespace, dir: string): Promise<Desktop> {
  const started: NsProcess[] = [];
  try {
    const runtimeDir = join(dir, "runtime");
    // Xvfb picks a free display itself (its socket is in the shared /tmp/.X11-unix).
    const xvfb = spawnIn(ns, "Xvfb", "Xvfb", ["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset"], { logFile: join(dir, "xvfb.log"), pipeStdout: true });
    started.push(xvfb);
    const display = `:${await firstLine(xvfb, "Xvfb", 15_000)}`;

    const bus = spawnIn(ns, "dbus-daemon", "dbus-daemon", ["--session", "--nofork", `--address=unix:path=${join(dir, "bus")}`, "--print-address=1"], { logFile: join(dir, "dbus.log"), pipeStdout: true });
    started.push(bus);
    const busAddress = await firstLine(bus, "dbus-daemon", 10_000);

    const pulseSocket = join(dir, "pulse.sock");
    const script = join(dir, "pulse.pa");
    writeFileSync(script, [
      `load-module module-native-protocol-unix socket=${pulseSocket} auth-anonymous=1`,
      "load-module module-null-sink sink_name=speaker sink_properties=device.description=Speaker",
      "load-module module-null-sink sink_name=tone sink_properties=device.description=Tone",
      // Dino skips monitor sources: a remapped source of the tone's monitor is a "microphone".
      "load-module module-remap-source master=tone.monitor source_name=mic source_properties=device.description=Microphone",
      "set-default-sink speaker",
      "set-default-source mic",
      "",
    ].join("\n"));
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      XDG_RUNTIME_DIR: runtimeDir,
      DISPLAY: display,
      DBUS_SESSION_BUS_ADDRESS: busAddress,
      PULSE_SERVER: `unix:${pulseSocket}`,
    };
    mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
    const pulse = spawnIn(ns, "pulseaudio", "pulseaudio", ["-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "--use-pid-file=no", "-F", script], { env: base, logFile: join(dir, "pulseaudio.log") });
    started.push(pulse);
    await waitFor("PulseAudio", () => (existsSync(pulseSocket) ? true : undefined), 15_000, () => (pulse.alive() ? undefined : "exited; see pulseaudio.log"));

    // A live 440 Hz tone into the sink whose monitor is the microphone: Dino has a real audio source.
    const tone = spawnIn(ns, "tone", "gst-launch-1.0", ["-q", "audiotestsrc", "is-live=true", "wave=sine", "freq=440", "volume=0.3", "!", "audioconvert", "!", "audioresample", "!", "pulsesink", "device=tone"], { env: base, logFile: join(dir, "tone.log") });
    started.push(tone);
    return {
      display,
      busAddress,
      pulseServer: base.PULSE_SERVER!,
      env: (extra = {}) => ({ ...base, ...extra }),
      stop: () => stopAll(started),
    };
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}
