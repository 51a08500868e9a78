// Types of the `signalcraft` Node package (checked by `tsc --noEmit` against types-check.ts).
// Answers are plain objects shaped exactly like the CLI's JSON output.

/** Thrown by every method (and the rejection of `dispatch`). */
export interface SignalCraftError extends Error {
  /** The engine's error kind in upper case. */
  code:
    | 'INVALID_INPUT' | 'SIGNATURE' | 'NOT_FOUND' | 'STORAGE' | 'CONFLICT' | 'FORBIDDEN' | 'INTERNAL'
    | 'UNAUTHENTICATED' | 'RATE_LIMITED' | 'TOO_LARGE';
  /** Where bad input is (a JSON path such as `rules[0].when.op`); null for other kinds. */
  path: string | null;
  /** For RATE_LIMITED: seconds until a retry can succeed (the HTTP `Retry-After`). */
  retryAfterSecs?: number;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Headers = Record<string, string> | Array<[string, string]> | null | undefined;
export type Body = Buffer | string;
export type Source = 'sentry' | 'alertmanager' | 'grafana' | 'datadog' | 'pagerduty' | 'opsgenie' | 'generic';
/** Where a group's alerts came from: a webhook source, or the engine's own fleet monitors. */
export type AlertSource = Source | 'monitor';
export type GroupStatus = 'open' | 'acknowledged' | 'snoozed' | 'resolved';
export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface EngineOptions {
  /**
   * The key that seals secrets at rest: exactly 32 bytes. Without it: `SIGNALCRAFT_SECRET_KEY`,
   * else (SQLite only) a key file beside the database; PostgreSQL refuses to open without one.
   */
  secretKey?: Buffer;
  /** The largest webhook body accepted. */
  maxBodyBytes?: number;
  /** Pins the clock to this RFC 3339 time. */
  now?: string;
  /**
   * Lets channels reach non-public addresses (loopback, private, link-local, unique-local…):
   * `true` for all, or a list of CIDRs (`["127.0.0.1/32"]`). Refused by default.
   */
  allowPrivateTargets?: boolean | string[];
}

export interface Workspace { id: string; name: string; created_at: string }

export interface RouteDecision {
  matched: string[];
  notify: string[];
  intended: string[];
  suppressed_by: string | null;
  mention: string[];
  escalation: string | null;
  set_severity: string | null;
  group_wait_secs: number;
  default_route: boolean;
}

export interface IngestedAlert {
  group_id: string | null;
  event_id: string | null;
  decision: 'new_group' | 'joined' | 'reopened' | 'resolved' | 'assigned' | 'acknowledged' | 'unmatched' | 'duplicate';
  status: GroupStatus | null;
  count: number;
  severity: string;
  fingerprint: string;
  title: string;
  route: RouteDecision | null;
  trace: Json;
}

export interface IngestOutcome {
  outcome: 'accepted' | 'duplicate' | 'ignored';
  reason: string | null;
  source: Source;
  alerts: IngestedAlert[];
  notes?: string[];
}

export interface BatchDelivery { source: Source | string; headers?: Headers; body: Body }
export type BatchSlot =
  | { ok: IngestOutcome }
  | { error: { kind: string; message: string; path: string | null } };

export interface AlertGroup {
  id: string;
  group_key: string;
  source: AlertSource;
  project: string | null;
  environment: string | null;
  severity: string;
  status: GroupStatus;
  title: string;
  message: string | null;
  fingerprint: string;
  link: string | null;
  tags: Record<string, string>;
  assignee: string | null;
  count: number;
  reopen_count: number;
  first_seen: string;
  last_seen: string;
  last_activity: string;
  resolved_at: string | null;
  snoozed_until: string | null;
  acknowledged_at: string | null;
  runbook: string | null;
}

/** A group with its newest 50 events and timeline entries, newest first, and the cursors of the rest. */
export interface GroupDetail extends AlertGroup {
  events: Json[];
  events_next: string | null;
  timeline: Json[];
  timeline_next: string | null;
}
/** One page of a group's events or timeline, newest first; `next` is null on the last page. */
export interface ItemPage { items: Json[]; next: string | null }
/** One stored event with the raw delivery it came from (the whole delivery: every alert of a batch). */
export interface EventPayload {
  id: string;
  group_id: string | null;
  source: AlertSource;
  received_at: string;
  alert: Record<string, Json>;
  /** The body parsed as JSON; null when it is not JSON or purged. */
  payload: Json;
  /** The body as text; null when it is not UTF-8 or purged. */
  payload_text: string | null;
  /** The stored headers (credentials redacted), as [name, value] pairs. */
  headers: Array<[string, string]>;
  /** Retention purged the raw body. */
  purged: boolean;
}
export interface GroupPage { groups: AlertGroup[]; next_cursor: string | null }
export type Severity = 'debug' | 'info' | 'warning' | 'error' | 'critical';
export interface GroupQuery {
  /** One status, comma-separated statuses, or a list. */
  status?: GroupStatus | string | GroupStatus[];
  /** One severity, comma-separated severities, or a list. */
  severity?: Severity | string | Severity[];
  environment?: string;
  project?: string;
  source?: AlertSource;
  min_severity?: string;
  /** A name, or `none` for unassigned groups. */
  assignee?: string;
  /** Text in the title or message. */
  q?: string;
  /** RFC 3339, on last_seen (inclusive). */
  since?: string;
  /** RFC 3339, on last_seen (exclusive). */
  until?: string;
  sort?: 'last_seen' | 'first_seen' | 'severity' | 'count' | 'last_activity' | 'status' | 'title' | 'source' | 'project' | 'environment' | 'assignee';
  order?: 'desc' | 'asc';
  limit?: number | string;
  cursor?: string;
}

export type ActSlot =
  | { id: string; ok: AlertGroup }
  | { id: string; error: { kind: string; message: string; path: string | null } };

export interface NewMaintenance { weekdays: string; from: string; to: string; tz: string; when?: Json; rules?: string[] | string }

export type Command =
  | { command: 'ack' | 'unack' | 'unsnooze' | 'resolve' | 'reopen' }
  | { command: 'snooze'; until: string }
  | { command: 'assign'; user: string | null }
  | { command: 'note'; text: string }
  | { command: 'runbook'; url: string };

export interface NewSilence { when: Json; ends_at: string; starts_at?: string; comment?: string }
export interface DispatchReport { sent: number; failed: number; pending: number }

export type Permission = 'read' | 'act' | 'configure' | 'administer';

export interface User { id: string; email: string; name: string | null; created_at: string }
export interface Member { workspace_id: string; user_id: string; email: string; name: string | null; role: Role }
export interface Session { token: string; csrf_token: string; expires_at: string; user: User }
export interface Membership { workspace_id: string; workspace: string; role: Role }
export interface Principal {
  kind: 'session' | 'token';
  /** `user:<email>` or `token:<name>`: what the timeline shows. */
  actor: string;
  user: User | null;
  token: { id: string; name: string; workspace_id: string; role: Role } | null;
  csrf_token: string | null;
  memberships: Membership[];
}
export interface Access { actor: string; role: Role; workspace: Workspace; principal: Principal }
export interface NewApiToken { id: string; token: string; role: Role; workspace: string; name: string; created_at: string }
export interface ApiToken { id: string; name: string; role: Role; workspace: string; created_at: string; last_used_at: string | null }
export interface NewIngestKey { id: string; key: string; source: Source; created_at: string }
export interface IngestKey { id: string; prefix: string; created_at: string; last_used_at: string | null }
export interface IntegrationHealth {
  last_delivery_at: string | null;
  last_accepted_at: string | null;
  accepted_24h: number;
  /** Refused deliveries by reason: `missing_key`, `invalid_key`, `signature`, `invalid_input`, `rate_limited`, `too_large`, … */
  rejected_24h: Record<string, number>;
  last_error: { at: string; kind: string; reason: string; message: string } | null;
}
export interface IntegrationStatus {
  source: Source;
  configured: boolean;
  has_secret: boolean;
  max_skew_secs: number | null;
  options: Json;
  keys: IngestKey[];
  health: IntegrationHealth;
}

export interface SlackApp {
  client_id: string;
  client_secret: string;
  redirect_uri: string;
  /** Slack's Web API (default https://slack.com/api). */
  api_base?: string;
  /** Slack's authorize page (default https://slack.com/oauth/v2/authorize). */
  authorize_url?: string;
  /** When given, an install also sets it as the workspace's Slack signing secret. */
  signing_secret?: string;
}
export interface SlackInstall {
  workspace: string;
  workspace_id: string;
  team_id: string;
  team_name?: string | null;
  channel: string;
  slack_channel: string;
}
export interface Change {
  seq: number;
  group_id: string;
  kind: 'event' | 'status' | 'assignee' | 'note' | 'runbook' | 'escalation';
  status: GroupStatus;
  at: string;
}
export interface ChangePage { changes: Change[]; last_seq: number }

export type MonitorKind = 'git_ci' | 'registry_freshness' | 'k8s_workloads' | 'cloud_cost' | 'usage_quota' | 'http_probe';
export interface App {
  name: string;
  repository?: { forge: 'gitea'; base_url: string; owner: string; repo: string; branch?: string } | null;
  image?: { registry_url: string; repository: string } | null;
  workload?: { namespace: string; deployment: string } | null;
  health_urls?: string[];
  usage?: string[];
  links?: Record<string, string>;
}
export interface Monitor {
  id: string;
  app: string;
  kind: MonitorKind;
  interval_secs?: number;
  /** Per kind; secrets (`token`, `password`, `api_key`, `kubeconfig`) are answered as `has_<field>: true`, and `has_<field>: true` put back keeps the stored one. */
  config: Record<string, Json>;
  thresholds?: Record<string, Json>;
  breach_after?: number;
  recover_after?: number;
  severity?: Severity;
  environment?: string | null;
}
export interface MonitorSet { apps: App[]; monitors: Monitor[] }
export interface MonitorReading {
  at: string;
  ok: boolean;
  value: number | null;
  unit: string | null;
  summary: string;
  error: string | null;
  details: Record<string, Json>;
}
export interface MonitorState {
  id: string;
  app: string;
  kind: MonitorKind;
  severity: Severity;
  environment: string | null;
  interval_secs: number;
  state: 'pending' | 'ok' | 'breach' | 'error';
  /** An alert is open. */
  breaching: boolean;
  consecutive: number;
  reading: MonitorReading | null;
  /** Newest last, at most 60. */
  history: Array<{ at: string; ok: boolean; value: number | null }>;
  group_id: string | null;
  next_due_at: string;
}
export interface AppView extends Required<Omit<App, 'repository' | 'image' | 'workload'>> {
  repository: App['repository'];
  image: App['image'];
  workload: App['workload'];
  monitors: MonitorState[];
  state: 'pending' | 'ok' | 'breach' | 'error';
  open_alerts: number;
  alerts_query: string;
}

export const SCHEMA_VERSION: number;

export class Engine {
  /**
   * Opens (creating and migrating) the database `path` names: a file path, `sqlite:PATH`, or a
   * `postgres://` URL (PostgreSQL needs a secret key: `secretKey` or `SIGNALCRAFT_SECRET_KEY`);
   * in memory when `path` is null.
   */
  constructor(path?: string | null, options?: EngineOptions | null);
  close(): void;
  now(): string;
  createWorkspace(name: string, ownerEmail?: string | null): Workspace;
  workspaces(): Workspace[];
  settings(workspace: string): Record<string, Json>;
  setSettings(workspace: string, settings: Record<string, Json>): null;
  /** An RFC 7396 merge patch over the settings (null returns a member to its default). */
  patchSettings(workspace: string, patch: Record<string, Json>): Record<string, Json>;
  integration(workspace: string, source: Source | string): Record<string, Json>;
  setIntegration(workspace: string, source: Source | string, update: Record<string, Json>): Record<string, Json>;
  ingest(workspace: string, source: Source | string, headers: Headers, body: Body): IngestOutcome;
  /** `ingest` off the event loop (libuv's thread pool): concurrent calls commit together. Rejects with the same `Error`. */
  ingestAsync(workspace: string, source: Source | string, headers: Headers, body: Body): Promise<IngestOutcome>;
  ingestAuto(workspace: string, headers: Headers, body: Body): IngestOutcome;
  ingestBatch(workspace: string, deliveries: BatchDelivery[]): BatchSlot[];
  dryRun(workspace: string, source: Source | string, headers: Headers, body: Body, rules?: Json[] | null): IngestOutcome;
  putRules(workspace: string, rules: Json[]): null;
  rules(workspace: string): Array<Record<string, Json>>;
  replay(workspace: string, rules: Json[], since?: string | null, until?: string | null): Record<string, Json>;
  /** `actor` is recorded as the silence's `created_by`. */
  addSilence(workspace: string, silence: NewSilence, actor: string): Record<string, Json>;
  silences(workspace: string): Array<Record<string, Json>>;
  expireSilence(workspace: string, id: string): null;
  groups(workspace: string, query?: GroupQuery | null): GroupPage;
  group(workspace: string, id: string): GroupDetail;
  groupEvents(workspace: string, id: string, cursor?: string | null, limit?: number | null): ItemPage;
  groupTimeline(workspace: string, id: string, cursor?: string | null, limit?: number | null): ItemPage;
  event(workspace: string, id: string): EventPayload;
  act(workspace: string, groupId: string, command: Command, actor: string, role?: Role | null): AlertGroup;
  putEscalation(workspace: string, name: string, policy: Record<string, Json>): null;
  stats(workspace: string, window?: string | null): Record<string, Json>;
  tick(workspace?: string | null): Record<string, Json>;
  setChannel(workspace: string, name: string, kind: 'slack' | 'webhook' | 'pagerduty' | 'email', config: Record<string, Json>): Record<string, Json>;
  channels(workspace: string): Array<Record<string, Json>>;
  deliveries(workspace: string, group?: string | null): Array<Record<string, Json>>;
  dispatch(workspace?: string | null, waitMs?: number | null): Promise<DispatchReport>;
  workspace(reference: string): Workspace;
  /** Prometheus (OpenMetrics) text for `/metrics`. */
  metricsText(): string;
  actMany(workspace: string, ids: string[], command: Command, actor: string, role?: Role | null): ActSlot[];
  escalations(workspace: string): Record<string, Json>;
  deleteEscalation(workspace: string, name: string): null;
  deleteChannel(workspace: string, name: string): null;
  addMaintenance(workspace: string, window: NewMaintenance): Record<string, Json>;
  maintenanceWindows(workspace: string): Array<Record<string, Json>>;
  deleteMaintenance(workspace: string, id: string): null;
  setSlackSigningSecret(workspace: string, secret: string): null;
  handleSlackAction(workspace: string, headers: Headers, body: Body): Record<string, Json>;
  addUser(email: string, password: string, name?: string | null): User;
  users(): User[];
  setMember(workspace: string, email: string, role: Role): Member;
  removeMember(workspace: string, email: string): null;
  members(workspace: string): Member[];
  login(email: string, password: string, address?: string | null): Session;
  logout(token: string): null;
  authenticate(credential: string, isUnsafe?: boolean | null, csrf?: string | null): Principal;
  authorize(credential: string, workspace: string, permission: Permission, isUnsafe?: boolean | null, csrf?: string | null): Access;
  createToken(workspace: string, role: Role, name?: string | null): NewApiToken;
  tokens(workspace: string): ApiToken[];
  revokeToken(workspace: string, id: string): null;
  createIngestKey(workspace: string, source: Source | string): NewIngestKey;
  revokeIngestKey(workspace: string, source: Source | string, id: string): null;
  ingestKeys(workspace: string, source: Source | string): IngestKey[];
  /** The authenticated webhook: `source` may be `'auto'`; `key` is the `?key=` value. */
  webhook(workspace: string, source: Source | 'auto' | string, headers: Headers, body: Body, key?: string | null): IngestOutcome;
  /** `webhook` off the event loop: concurrent deliveries commit together. Rejects with the same `Error`. */
  webhookAsync(workspace: string, source: Source | 'auto' | string, headers: Headers, body: Body, key?: string | null): Promise<IngestOutcome>;
  integrations(workspace: string): IntegrationStatus[];
  /** Checks rules as putRules would (channel names included), storing nothing. */
  checkRules(workspace: string, rules: Json[]): { ok: true; rules: number };
  /** Queues a test notification on a channel; answers the queued delivery (`test: true`). */
  testChannel(workspace: string, name: string): Record<string, Json>;
  /** The built-in sample delivery of a source. */
  samplePayload(source: Source | string): { headers: Record<string, string>; body: string };
  /** Ingests the source's built-in sample through the real path (signed when a secret is set). */
  testIntegration(workspace: string, source: Source | string): IngestOutcome;
  slackConnect(workspace: string, app: SlackApp, options?: { channel?: string; slack_channel?: string } | null): { url: string; state: string };
  slackOauthCallback(app: SlackApp, code: string, state: string): Promise<SlackInstall>;
  handleSlackTeamAction(headers: Headers, body: Body): Record<string, Json>;
  setSlackIntegration(workspace: string, update: { secret?: string; clear_secret?: boolean; max_skew_secs?: number; clear_max_skew?: boolean; options?: { team_id?: string } | null }): Record<string, Json>;
  /** Changes after `since` (default 0), at most `limit` (1 to 1000, default 100), and the latest seq. */
  changes(workspace: string, since?: number | null, limit?: number | null): ChangePage;
  /** For /readyz: a write probe (rolled back) and the background loop's state. */
  ready(): { database_writable: boolean; database_error: string | null; background: 'running' | 'stopped' | 'failed' };
  startBackground(): void;
  stop(): void;
  /** Replaces the workspace's apps and monitors: a list of monitors, or `{apps?, monitors}`. */
  putMonitors(workspace: string, doc: Monitor[] | { apps?: App[]; monitors: Monitor[] }): MonitorSet;
  monitors(workspace: string): MonitorSet;
  monitorStatus(workspace: string): MonitorState[];
  apps(workspace: string): AppView[];
  /** Runs one monitor now (due or not), applying breach and recovery. */
  runMonitor(workspace: string, id: string): Promise<MonitorState>;
  /** Runs the due monitors (`once`: every monitor); answers every monitor's state. */
  runMonitors(workspace: string, options?: { once?: boolean } | null): Promise<MonitorState[]>;
}
