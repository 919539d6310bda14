/**
 * The labels and annotations that mark a Lantern capture pod. Leftover search and deletion
 * match on these and nothing else, so they must agree with the agent pod spec (pod-spec.ts).
 */
import type { V1Pod } from '@kubernetes/client-node';

export const CAPTURE_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  managedByValue: 'lantern',
  component: 'app.kubernetes.io/component',
  componentValue: 'capture-agent',
  session: 'lantern.dev/session',
  node: 'lantern.dev/node',
  expiresAnnotation: 'lantern.dev/expires-at',
} as const;

/** True only for pods Lantern labelled as its own (checked client-side, whatever the server did). */
export function isLanternPod(p: V1Pod): boolean {
  return p.metadata?.labels?.[CAPTURE_LABELS.managedBy] === CAPTURE_LABELS.managedByValue;
}
