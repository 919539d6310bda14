/**
 * The capture agent as the engine sees it: the pod that runs it on one node (pod-spec.ts, owned
 * by the agent work) and the parser of its output (main/events/agent/parse.ts).
 *
 * Loaded lazily so that commands that never capture (preflight, clean) do not need it.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { AgentStreamParser } from '../events/agent/parse';
import type { LineParser } from './node-stream';
import type { PodBuildArgs } from './session';

export interface AgentFactory {
  buildPod(args: PodBuildArgs & { image?: string; moduleAttempts?: boolean }): V1Pod;
  parserFor(node: string): LineParser;
  defaultProbes?: string[];
}

// Module path held in a variable: the pod spec is built in parallel by the agent work; until it
// exists the engine says so in words instead of failing to compile.
const POD_SPEC = './pod-spec';

export async function loadAgent(): Promise<AgentFactory> {
  let podSpec: Record<string, unknown>;
  try {
    podSpec = (await import(/* @vite-ignore */ POD_SPEC)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`the capture agent's pod spec is not available in this build: ${(err as Error).message}`);
  }
  const build = (podSpec.buildCapturePod ?? podSpec.buildAgentPod ?? podSpec.capturePodSpec) as
    ((a: unknown) => V1Pod) | undefined;
  if (typeof build !== 'function')
    throw new Error('the capture agent pod spec module does not export the expected builder');
  return {
    buildPod: (a) => build(a),
    parserFor: (node) => new AgentStreamParser({ node }),
    ...(Array.isArray(podSpec.DEFAULT_PROBES) ? { defaultProbes: podSpec.DEFAULT_PROBES as string[] } : {}),
  };
}
