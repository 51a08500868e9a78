// Built-in sample payloads for the rule test: the real bundled payloads the host's demo uses
// (examples/node-server/fixtures), with the headers each source sends.
import sentry from '../../../../node-server/fixtures/sentry/issue_alert_triggered.docs.json?raw';
import alertmanager from '../../../../node-server/fixtures/alertmanager/zulip_firing_2_alerts.json?raw';
import grafana from '../../../../node-server/fixtures/grafana/grafana_docs_firing_2_alerts.json?raw';
import datadog from '../../../../node-server/fixtures/datadog/relay_default_payload_service_check_triggered.json?raw';
import pagerduty from '../../../../node-server/fixtures/pagerduty/events_v2_trigger.docs.json?raw';
import opsgenie from '../../../../node-server/fixtures/opsgenie/zulip_opsgenie_create.json?raw';

export interface Sample { source: 'sentry' | 'alertmanager' | 'grafana' | 'datadog' | 'pagerduty' | 'opsgenie' | 'generic'; label: string; body: string; headers: Record<string, string> }

export const SAMPLES: Sample[] = [
  { source: 'sentry', label: 'Sentry: issue alert triggered', body: sentry, headers: { 'Content-Type': 'application/json', 'Sentry-Hook-Resource': 'event_alert' } },
  { source: 'alertmanager', label: 'Alertmanager: 2 alerts firing', body: alertmanager, headers: { 'Content-Type': 'application/json' } },
  { source: 'grafana', label: 'Grafana: 2 alerts firing', body: grafana, headers: { 'Content-Type': 'application/json' } },
  { source: 'datadog', label: 'Datadog: service check triggered', body: datadog, headers: { 'Content-Type': 'application/json' } },
  { source: 'pagerduty', label: 'PagerDuty: Events v2 trigger', body: pagerduty, headers: { 'Content-Type': 'application/json' } },
  { source: 'opsgenie', label: 'Opsgenie: alert created', body: opsgenie, headers: { 'Content-Type': 'application/json' } },
];

export { freshIds } from '../../lib/payload';
