// Acting on groups: one id through `POST …/groups/{id}/actions`, several through the bulk route.
import { api, ApiError, call, type AlertGroup, type Command, type Schemas } from '../api/client';

export interface ActResult {
  ok: AlertGroup[];
  failed: { id: string; message: string }[];
}

/** Runs `command` on every id; answers the groups after it and the ids that failed. */
export async function actOn(ws: string, ids: string[], command: Command): Promise<ActResult> {
  if (ids.length === 1) {
    const id = ids[0]!;
    try {
      const g = await call(api.POST('/api/workspaces/{ws}/groups/{id}/actions', { params: { path: { ws, id } }, body: command }));
      return { ok: [g], failed: [] };
    } catch (e) {
      return { ok: [], failed: [{ id, message: e instanceof Error ? e.message : String(e) }] };
    }
  }
  const out: ActResult = { ok: [], failed: [] };
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const body = { ...command, ids: chunk } as Schemas['BulkCommand'];
    let results;
    try {
      results = (await call(api.POST('/api/workspaces/{ws}/groups/actions', { params: { path: { ws } }, body }))).results;
    } catch (e) {
      // A host without the bulk route yet (its engine lacks it): one call per id.
      if (e instanceof ApiError && e.status === 500) {
        for (const id of chunk) {
          const r = await actOn(ws, [id], command);
          out.ok.push(...r.ok);
          out.failed.push(...r.failed);
        }
        continue;
      }
      throw e;
    }
    for (const r of results) {
      if ('ok' in r && r.ok) out.ok.push(r.ok);
      else if ('error' in r) out.failed.push({ id: r.id, message: r.error.message });
    }
  }
  return out;
}

/** "Acknowledged 3 groups" for a toast. */
export function actedText(command: Command, n: number): string {
  const verb: Record<string, string> = {
    ack: 'Acknowledged', unack: 'Unacknowledged', resolve: 'Resolved', reopen: 'Reopened', snooze: 'Snoozed',
    unsnooze: 'Unsnoozed', assign: 'Assigned', note: 'Noted', runbook: 'Linked a runbook to',
  };
  return `${verb[command.command] ?? command.command} ${n === 1 ? '1 group' : `${n} groups`}`;
}
