/**
 * Starting what a workspace holds, through the api, one item at a time: a failure is reported in
 * words and the others still start. Program auto-replies run only where the user allowed them.
 */
import type { InspectorApi } from '../../../../shared/contract';
import { formatHostPort } from '../../../../shared/format';
import type { ListenerInfo } from '../../../../shared/model';
import type { Result } from '../../../../shared/result';
import {
  commandLine,
  describeAutoReply,
  listenerCommand,
  relayCommand,
  udpCommand,
  type Workspace,
  type WorkspaceView,
} from '../../../../shared/workspace';
import { rememberTarget } from '../../state/recent';
import { useInspector } from '../../state/store';

/** One line of the report: what happened to one item, in words. */
export interface OpenOutcome {
  ok: boolean;
  text: string;
}

/**
 * What the page knows of listeners it started from a workspace and the store does not hold:
 * certificate files of TLS listeners, and the view their new clients open in. Save uses them.
 */
export const knownTlsFiles: Record<string, { certPath: string; keyPath: string }> = {};
export const knownListenerViews: Record<string, WorkspaceView> = {};

/** The key of a Program auto-reply's "Allow this program to run" box. */
export const programKey = (index: number) => `listeners:${index}`;

function failure(result: Result<unknown>): string {
  if (result.ok) return '';
  return `${result.message}${result.hint ? ` ${result.hint}` : ''}`;
}

function whereListening(l: ListenerInfo): string {
  return l.transport === 'unix' ? l.address : formatHostPort(l.address, l.port);
}

/**
 * Starts each listener (with its auto-reply, framing, view and name), relay and UDP socket
 * (with its multicast groups) of the workspace, then applies its recent targets and capture
 * budget. `allowed` holds the programKey of each Program auto-reply the user allowed; the
 * others start with auto-reply off.
 */
export async function startWorkspace(api: InspectorApi, workspace: Workspace, allowed: ReadonlySet<string>): Promise<OpenOutcome[]> {
  const out: OpenOutcome[] = [];
  const store = () => useInspector.getState();

  for (const [index, entry] of workspace.listeners.entries()) {
    const start = listenerCommand(entry);
    const asked = start.command === 'listenUnix' ? `Unix socket listener on ${start.args.path}` : `${start.args.tls ? 'TLS' : 'TCP'} listener on ${formatHostPort(start.args.host, start.args.port)}`;
    const result = start.command === 'listenUnix' ? await api.listenUnix(start.args) : await api.startListener(start.args);
    if (!result.ok) {
      out.push({ ok: false, text: `${asked} did not start: ${failure(result)}` });
      continue;
    }
    const l = result.value;
    const title = `${l.transport === 'unix' ? 'Unix socket' : l.transport.toUpperCase()} listener on ${whereListening(l)}`;
    if (start.command === 'startListener' && start.args.tls && start.args.tls.certificate !== 'self-signed') knownTlsFiles[l.id] = start.args.tls.certificate;
    if (entry.name) store().setLabel(l.id, entry.name);
    if (entry.framing) store().setListenerFraming(l.id, entry.framing);
    if (entry.view) knownListenerViews[l.id] = entry.view;
    const responder = entry.responder;
    if (!responder || responder.kind === 'off') {
      out.push({ ok: true, text: `${title} started.` });
    } else if (responder.kind === 'program' && !allowed.has(programKey(index))) {
      out.push({ ok: true, text: `${title} started with auto-reply off: its program (${commandLine(responder)}) was not allowed to run.` });
    } else {
      const set = await api.setResponder({ target: { listenerId: l.id }, responder });
      out.push(
        set.ok
          ? { ok: true, text: `${title} started, auto-reply ${describeAutoReply(responder)}.` }
          : { ok: false, text: `${title} started, but its auto-reply was not set: ${failure(set)}` },
      );
    }
  }

  for (const entry of workspace.relays) {
    const args = relayCommand(entry);
    const asked = `Relay on ${formatHostPort(args.host, args.port)} to ${formatHostPort(args.targetHost, args.targetPort)}`;
    const result = await api.startRelay(args);
    if (!result.ok) {
      out.push({ ok: false, text: `${asked} did not start: ${failure(result)}` });
      continue;
    }
    const l = result.value;
    if (entry.name) store().setLabel(l.id, entry.name);
    if (entry.framing) store().setListenerFraming(l.id, entry.framing);
    if (entry.view) knownListenerViews[l.id] = entry.view;
    out.push({ ok: true, text: `Relay on ${whereListening(l)} to ${formatHostPort(args.targetHost, args.targetPort)} started.` });
  }

  for (const entry of workspace.udp) {
    const args = udpCommand(entry);
    const asked = `UDP socket on ${formatHostPort(args.host, args.port)}`;
    const result = await api.bindUdp(args);
    if (!result.ok) {
      out.push({ ok: false, text: `${asked} was not bound: ${failure(result)}` });
      continue;
    }
    const c = result.value;
    if (entry.name) store().setLabel(c.id, entry.name);
    if (entry.view) store().setView(c.id, entry.view);
    const where = c.local ? formatHostPort(c.local.address, c.local.port) : formatHostPort(args.host, args.port);
    const missed: string[] = [];
    for (const g of entry.groups ?? []) {
      const joined = await api.udpMembership({ connectionId: c.id, group: g.group, ...(g.iface ? { iface: g.iface } : {}), join: true });
      if (!joined.ok) missed.push(`${g.group}: ${failure(joined)}`);
    }
    out.push(missed.length ? { ok: false, text: `UDP socket on ${where} bound, but could not join ${missed.join('; ')}` } : { ok: true, text: `UDP socket on ${where} bound.` });
  }

  if (workspace.recentTargets.length > 0) {
    // Oldest first, so the workspace's newest ends up first in the Recent list.
    for (const t of [...workspace.recentTargets].reverse()) rememberTarget(t);
    // The New forms read the list when the page loads.
    out.push({ ok: true, text: `${workspace.recentTargets.length} recent ${workspace.recentTargets.length === 1 ? 'target' : 'targets'} added to the Recent list of the Connect and Relay forms.` });
  }

  if (workspace.settings) {
    const result = await api.setSettings(workspace.settings);
    if (result.ok) {
      store().setSettings(result.value);
      out.push({ ok: true, text: `Capture budget set to ${workspace.settings.captureBudgetMiB} MiB.` });
    } else out.push({ ok: false, text: `The capture budget was not set: ${failure(result)}` });
  }
  return out;
}

/**
 * Gives each new client of a listener opened from a workspace the view the workspace names for
 * it (unless it has one already). Returns an unsubscribe.
 */
export function followListenerViews(): () => void {
  return useInspector.subscribe((s, prev) => {
    if (s.connectionOrder === prev.connectionOrder || Object.keys(knownListenerViews).length === 0) return;
    // New connections are appended: look back from the end to the first one already known.
    for (let i = s.connectionOrder.length - 1; i >= 0; i--) {
      const id = s.connectionOrder[i]!;
      if (prev.connections[id]) break;
      const c = s.connections[id];
      const view = c?.listenerId ? knownListenerViews[c.listenerId] : undefined;
      if (view && !s.views[id]) s.setView(id, view);
    }
  });
}
