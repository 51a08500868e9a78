// The engine as this host calls it: the `signalcraft` addon's methods, with the answers the
// host passes on left as plain JSON. The host never looks inside an answer except where it must
// (a session's token for the cookie, a principal's user for workspace creation, a change's seq
// for the stream).
import { Engine as Addon } from 'signalcraft';

/** A JSON value as the engine answers it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };
/** Headers as the engine takes them: `[name, value]` pairs, byte-true from the request. */
export type HeaderPairs = Array<[string, string]>;

export type Permission = 'read' | 'act' | 'configure' | 'administer';
export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface User { id: string; email: string; name: string | null; created_at: string }
export interface Workspace { id: string; name: string; created_at: string }

export interface Principal {
  kind: 'session' | 'token';
  actor: string;
  user: User | null;
  token: { id: string; name: string | null; workspace_id: string; role: Role } | null;
  csrf_token: string | null;
  memberships: Array<{ workspace_id: string; workspace: string; role: Role }>;
}

export interface Access { actor: string; role: Role; workspace: Workspace; principal: Principal }

export interface Session { token: string; csrf_token: string; expires_at: string; user: User }

export interface Change { seq: number; group_id: string; kind: string; status: string; at: string }
export interface ChangePage { changes: Change[]; last_seq: number }

export interface SlackApp {
  client_id: string;
  client_secret: string;
  redirect_uri: string;
  api_base?: string;
  authorize_url?: string;
  signing_secret?: string;
}

/** Every engine call the host makes (names and shapes: the addon's `index.d.ts`). */
export interface Core {
  close(): void;
  now(): string;
  startBackground(): void;
  stop(): void;
  // accounts and access
  login(email: string, password: string, address?: string | null): Session;
  logout(token: string): null;
  authenticate(credential: string, unsafe?: boolean, csrf?: string | null): Principal;
  authorize(credential: string, workspace: string, permission: Permission, unsafe?: boolean,
    csrf?: string | null): Access;
  addUser(email: string, password: string, name?: string | null): User;
  createWorkspace(name: string, ownerEmail?: string | null): Workspace;
  workspaces(): Workspace[];
  setMember(workspace: string, email: string, role: string): JsonObject;
  removeMember(workspace: string, email: string): null;
  members(workspace: string): Json[];
  createToken(workspace: string, role: string, name?: string | null): JsonObject;
  tokens(workspace: string): Json[];
  revokeToken(workspace: string, id: string): null;
  settings(workspace: string): JsonObject;
  setSettings(workspace: string, settings: Json): null;
  /** An RFC 7396 merge patch over the settings, merged and checked by the engine. */
  patchSettings(workspace: string, patch: Json): JsonObject;
  // ingest
  webhook(workspace: string, source: string, headers: HeaderPairs, body: Buffer,
    key?: string | null): JsonObject;
  /** `webhook` on libuv's thread pool: concurrent deliveries commit together. */
  webhookAsync(workspace: string, source: string, headers: HeaderPairs, body: Buffer,
    key?: string | null): Promise<JsonObject>;
  ingest(workspace: string, source: string, headers: HeaderPairs | Record<string, string>,
    body: Buffer | string): JsonObject;
  dryRun(workspace: string, source: string, headers: Json, body: Buffer | string,
    rules?: Json): JsonObject;
  integrations(workspace: string): JsonObject[];
  integration(workspace: string, source: string): JsonObject;
  setIntegration(workspace: string, source: string, update: Json): JsonObject;
  setSlackIntegration(workspace: string, update: Json): JsonObject;
  createIngestKey(workspace: string, source: string): JsonObject;
  revokeIngestKey(workspace: string, source: string, id: string): null;
  testIntegration(workspace: string, source: string): JsonObject;
  samplePayload(source: string): { headers: Json; body: string };
  // groups
  groups(workspace: string, query?: Json): JsonObject;
  group(workspace: string, id: string): JsonObject;
  groupEvents(workspace: string, id: string, cursor?: string | null, limit?: number | null): JsonObject;
  groupTimeline(workspace: string, id: string, cursor?: string | null, limit?: number | null): JsonObject;
  event(workspace: string, id: string): JsonObject;
  act(workspace: string, groupId: string, command: Json, actor: string, role?: string | null): JsonObject;
  actMany(workspace: string, ids: Json, command: Json, actor: string, role?: string | null): Json[];
  deliveries(workspace: string, group?: string | null): Json[];
  stats(workspace: string, window?: string | null): JsonObject;
  changes(workspace: string, since?: number | null, limit?: number | null): ChangePage;
  // rules and muting
  rules(workspace: string): Json[];
  putRules(workspace: string, rules: Json): null;
  checkRules(workspace: string, rules: Json): JsonObject;
  replay(workspace: string, rules: Json, since?: string | null, until?: string | null): JsonObject;
  addSilence(workspace: string, silence: Json, actor: string): JsonObject;
  silences(workspace: string): Json[];
  expireSilence(workspace: string, id: string): null;
  addMaintenance(workspace: string, window: Json): JsonObject;
  maintenanceWindows(workspace: string): Json[];
  deleteMaintenance(workspace: string, id: string): null;
  escalations(workspace: string): { [name: string]: Json };
  putEscalation(workspace: string, name: string, policy: Json): null;
  deleteEscalation(workspace: string, name: string): null;
  // channels and Slack
  channels(workspace: string): Json[];
  setChannel(workspace: string, name: string, kind: string, config: Json): JsonObject;
  deleteChannel(workspace: string, name: string): null;
  testChannel(workspace: string, name: string): JsonObject;
  slackConnect(workspace: string, app: SlackApp, options?: Json): { url: string; state: string };
  slackOauthCallback(app: SlackApp, code: string, state: string): Promise<JsonObject>;
  handleSlackAction(workspace: string, headers: HeaderPairs, body: Buffer): Json;
  handleSlackTeamAction(headers: HeaderPairs, body: Buffer): Json;
  // fleet monitors
  /** Replaces the workspace's apps and monitors (a list of monitors, or `{apps, monitors}`). */
  putMonitors(workspace: string, doc: Json): JsonObject;
  monitors(workspace: string): JsonObject;
  monitorStatus(workspace: string): Json[];
  runMonitor(workspace: string, id: string): Promise<JsonObject>;
  apps(workspace: string): Json[];
  // operations
  metricsText(): string;
  ready?(): { database_writable: boolean; database_error: string | null; background: string };
}

/** The calls of `Core` the host needs; those the loaded addon lacks are logged at start. */
const CALLS = [
  'login', 'logout', 'authenticate', 'authorize', 'addUser', 'createWorkspace', 'workspaces',
  'setMember', 'removeMember', 'members', 'createToken', 'tokens', 'revokeToken', 'settings',
  'setSettings', 'webhook', 'ingest', 'dryRun', 'integrations', 'integration', 'setIntegration',
  'setSlackIntegration', 'createIngestKey', 'revokeIngestKey', 'testIntegration', 'groups', 'group',
  'groupEvents', 'groupTimeline', 'event', 'act', 'actMany',
  'deliveries', 'stats', 'changes', 'rules', 'putRules', 'checkRules', 'replay', 'addSilence',
  'silences', 'expireSilence', 'addMaintenance', 'maintenanceWindows', 'deleteMaintenance',
  'escalations', 'putEscalation', 'deleteEscalation', 'channels', 'setChannel', 'deleteChannel',
  'testChannel', 'slackConnect', 'slackOauthCallback', 'handleSlackAction',
  'handleSlackTeamAction', 'putMonitors', 'monitors', 'monitorStatus', 'runMonitor', 'apps',
  'metricsText', 'ready',
] as const;

export interface OpenOptions {
  /** The largest webhook body accepted (the host's body limit is the same). */
  maxBodyBytes: number;
  /** Pins the engine's clock (the demo's history). */
  now?: string;
}

/**
 * `SIGNALCRAFT_ALLOW_PRIVATE_TARGETS` as the addon's `allowPrivateTargets`: `1` (or `all`) lets
 * channels reach every non-public address, a comma-separated list of CIDRs those networks; unset,
 * empty or `0` keeps the engine's default (refused). The engine checks the CIDRs.
 */
export function privateTargetsFromEnv(value: string | undefined): true | string[] | undefined {
  const v = (value ?? '').trim();
  if (v === '' || v === '0') return undefined;
  if (v === '1' || v === 'all') return true;
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Opens the engine on a database file. Calls the loaded addon lacks throw `lacks(name)`. */
export function openEngine(path: string, options: OpenOptions): { engine: Core; missing: string[] } {
  const allowPrivateTargets = privateTargetsFromEnv(process.env.SIGNALCRAFT_ALLOW_PRIVATE_TARGETS);
  const addon = new Addon(path, { maxBodyBytes: options.maxBodyBytes, now: options.now, allowPrivateTargets });
  const have = addon as unknown as Record<string, unknown>;
  const missing = CALLS.filter((name) => typeof have[name] !== 'function');
  for (const name of missing) {
    if (name === 'ready') continue; // optional: /readyz says so
    have[name] = () => {
      throw lacks(name);
    };
  }
  return { engine: addon as unknown as Core, missing };
}

/** The error a call the addon lacks throws: internal, naming it. */
export function lacks(name: string): Error & { code: string; path: null } {
  return Object.assign(new Error(`the signalcraft addon has no ${name}() (rebuild bindings-node)`), {
    code: 'INTERNAL',
    path: null,
  });
}
