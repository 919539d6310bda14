/**
 * The capture agent as the engine sees it: the pod that runs it on one node (pod-spec.ts, owned
 * by the agent work) and the parser of its output (main/events/agent/parse.ts).
 *
 * Loaded lazily so that commands that never capture (preflight, clean) do not need it.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { LineParser } from './node-stream';
import type { PodBuildArgs } from './session';

export interface AgentFactory {
  buildPod(args: PodBuildArgs & { image?: string }): V1Pod;
  parserFor(node: string): LineParser;
  defaultProbes?: string[];
}

// Module paths held in variables: these modules are built in parallel by the agent work; until
// they exist the engine says so in words instead of failing to compile.
const POD_SPEC = './pod-spec';
const PARSER = '../events/agent/parse';

export async function loadAgent(): Promise<AgentFactory> {
  let podSpec: Record<string, unknown>;
  let parse: Record<string, unknown>;
  try {
    podSpec = (await import(/* @vite-ignore */ POD_SPEC)) as Record<string, unknown>;
    parse = (await import(/* @vite-ignore */ PARSER)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`the capture agent's pod spec or parser is not available in this build: ${(err as Error).message}`);
  }
  const build = (podSpec.buildCapturePod ?? podSpec.buildAgentPod ?? podSpec.capturePodSpec) as ((a: unknown) => V1Pod) | undefined;
  const Parser = parse.AgentStreamParser as (new (o: { node: string }) => LineParser) | undefined;
  if (typeof build !== 'function' || typeof Parser !== 'function') {
    throw new Error('the capture agent modules do not export the expected builder/parser');
  }
  return {
    buildPod: (a) => build(a),
    parserFor: (node) => new Parser({ node }),
    ...(Array.isArray(podSpec.DEFAULT_PROBES) ? { defaultProbes: podSpec.DEFAULT_PROBES as string[] } : {}),
  };
}
