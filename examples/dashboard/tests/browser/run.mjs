// Browser tests of the dashboard against a real host: Debian's chromium driven by playwright-core.
//   BASE=http://127.0.0.1:PORT EMAIL=... PASSWORD=... [WS=demo] node tests/browser/run.mjs
// Every check has a bounded wait; screenshots of every page go to target/screenshots/.
import { createServer } from 'node:http';
import { axe, launch, login, shot, SHOTS } from './lib.mjs';
import { alertBody, postWebhook, session } from './api.mjs';
import { fleetChecks } from './fleet.mjs';

const BASE = process.env.BASE;
const EMAIL = process.env.EMAIL ?? 'owner@example.com';
const PASSWORD = process.env.PASSWORD;
const WS = process.env.WS ?? 'demo';
if (!BASE || !PASSWORD) {
  console.error('run.mjs: BASE and PASSWORD are required');
  process.exit(2);
}
const W = 10_000; // the bound of every wait

const api = await session(BASE, EMAIL, PASSWORD);
const key = (await api.call('POST', `/api/workspaces/${WS}/integrations/alertmanager/keys`)).key;
const uniq = () => Math.random().toString(36).slice(2, 8);

const results = [];
const ctx = await launch();
const page = ctx.pages()[0] ?? (await ctx.newPage());
page.setDefaultTimeout(W);
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false, error: e });
    console.log(`FAIL ${name}: ${e instanceof Error ? e.message.split('\n').slice(0, 6).join('\n     ') : e}`);
    await shot(page, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => {});
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
const inbox = (q = '') => `${BASE}/w/${WS}/inbox${q ? `?${q}` : ''}`;
const rowByTitle = (title) => page.locator('.grid-row', { hasText: title });

await check('login opens the inbox of the first workspace', async () => {
  await page.goto(`${BASE}/`);
  await page.waitForURL(/\/login/);
  await shot(page, 'login');
  await login(page, BASE, EMAIL, PASSWORD);
  assert(page.url().includes(`/w/${WS}/inbox`), `landed on ${page.url()}`);
  await page.locator('.grid-row').first().waitFor();
  await page.getByText('Live', { exact: true }).waitFor();
  await shot(page, 'inbox');
});

await check('a webhook posted shows as a row without a reload', async () => {
  await page.goto(inbox());
  await page.getByText('Live', { exact: true }).waitFor();
  const title = `Checkout latency ${uniq()}`;
  await postWebhook(BASE, WS, 'alertmanager', key, alertBody({ title }));
  await rowByTitle(title).waitFor();
});

await check('mid-selection, new groups are announced, the selection kept, merged on demand', async () => {
  await page.goto(inbox());
  await page.getByText('Live', { exact: true }).waitFor();
  const first = page.locator('.grid-row').first();
  const firstId = await first.getAttribute('data-id');
  await first.getByRole('checkbox').check();
  const title = `Payments 5xx ${uniq()}`;
  await postWebhook(BASE, WS, 'alertmanager', key, alertBody({ title }));
  await page.getByTestId('new-banner').waitFor();
  assert(/1 new/.test(await page.getByTestId('new-banner').innerText()), 'banner says 1 new');
  assert((await rowByTitle(title).count()) === 0, 'the new row is not merged while a row is selected');
  assert(await page.locator(`.grid-row[data-id="${firstId}"]`).getByRole('checkbox').isChecked(), 'selection kept');
  await shot(page, 'inbox-new-banner');
  await page.getByTestId('new-banner').getByRole('button', { name: 'Show' }).click();
  await rowByTitle(title).waitFor();
  assert(await page.locator(`.grid-row[data-id="${firstId}"]`).getByRole('checkbox').isChecked(), 'selection kept after the merge');
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
});

await check('filters change the URL and a reload restores the view', async () => {
  const tok = `zq${uniq()}`;
  await postWebhook(BASE, WS, 'alertmanager', key, alertBody({ title: `Checkout latency ${tok}`, severity: 'critical' }));
  await postWebhook(BASE, WS, 'alertmanager', key, alertBody({ title: `Checkout queue depth ${tok}`, severity: 'warning' }));
  await page.goto(inbox());
  await page.getByRole('button', { name: /^Severity:/ }).click();
  await page.getByRole('checkbox', { name: 'critical' }).check();
  await page.waitForURL(/severity=critical/);
  await page.keyboard.press('Escape');
  await page.getByLabel('Search').fill(tok);
  await page.waitForURL(new RegExp(`q=${tok}`));
  // The view's rows: exactly the critical group whose title has the search text.
  await page.waitForFunction((t) => {
    const rows = [...document.querySelectorAll('.grid-row')];
    return rows.length === 1 && rows[0].querySelector('.title')?.textContent === `Checkout latency ${t}`;
  }, tok, { timeout: W });
  await page.reload();
  await page.locator('.grid-row').first().waitFor();
  assert((await page.getByLabel('Search').inputValue()) === tok, 'search restored');
  assert(/critical/.test(await page.getByRole('button', { name: /^Severity:/ }).innerText()), 'severity filter restored');
  const after = await page.locator('.grid-row .title').allInnerTexts();
  assert(after.length === 1 && after[0] === `Checkout latency ${tok}`, `the same row after a reload: ${after}`);
  // Dropping the severity filter shows the warning one too.
  await page.getByRole('button', { name: /^Severity:/ }).click();
  await page.getByRole('checkbox', { name: 'critical' }).uncheck();
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.querySelectorAll('.grid-row').length === 2, null, { timeout: W });
  assert(!page.url().includes('severity='), 'severity gone from the URL');
  await page.getByRole('button', { name: /^Severity:/ }).click();
  await page.getByRole('checkbox', { name: 'critical' }).check();
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.querySelectorAll('.grid-row').length === 1, null, { timeout: W });
  await shot(page, 'inbox-filtered');
});

await check('bulk: select two groups, Acknowledge acknowledges both', async () => {
  const a = await postWebhook(BASE, WS, 'alertmanager', key, alertBody({ title: `Bulk one ${uniq()}` }));
  const b = await postWebhook(BASE, WS, 'alertmanager', key, alertBody({ title: `Bulk two ${uniq()}` }));
  const ids = [a.alerts[0].group_id, b.alerts[0].group_id];
  await page.goto(inbox('status=open&q=Bulk'));
  for (const id of ids) await page.locator(`.grid-row[data-id="${id}"]`).getByRole('checkbox').check();
  await page.getByRole('toolbar', { name: 'Bulk actions' }).getByText('2 selected').waitFor();
  await page.getByRole('toolbar', { name: 'Bulk actions' }).getByRole('button', { name: 'Acknowledge' }).click();
  for (const id of ids) await page.locator(`.grid-row[data-id="${id}"][data-status="acknowledged"]`).waitFor();
  for (const id of ids) assert((await api.call('GET', `/api/workspaces/${WS}/groups/${id}`)).status === 'acknowledged', `${id} acknowledged on the server`);
});

await check('keyboard j then a acknowledges the highlighted group', async () => {
  await page.goto(inbox('status=open'));
  const row = page.locator('.grid-row').first();
  await row.waitFor();
  const id = await row.getAttribute('data-id');
  await page.locator('body').click({ position: { x: 5, y: 300 } }).catch(() => {});
  await page.keyboard.press('j');
  await page.locator(`.grid-row.cursor[data-id="${id}"]`).waitFor();
  await page.keyboard.press('a');
  await page.locator(`.grid-row[data-id="${id}"][data-status="acknowledged"]`).waitFor();
  const g = await api.call('GET', `/api/workspaces/${WS}/groups/${id}`);
  assert(g.status === 'acknowledged', `the server says ${g.status}`);
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await shot(page, 'inbox-keys');
  await page.keyboard.press('Escape');
});

await check('group detail: Snooze changes the status and the timeline', async () => {
  const title = `Disk almost full ${uniq()}`;
  const out = await postWebhook(BASE, WS, 'alertmanager', key, alertBody({ title, severity: 'warning' }));
  const id = out.alerts[0].group_id;
  await page.goto(`${BASE}/w/${WS}/groups/${id}`);
  await page.getByTestId('group-status').getByText('open').waitFor();
  await page.getByTestId('trace').waitFor();
  await page.getByRole('button', { name: 'Snooze' }).click();
  await page.getByRole('button', { name: 'For 1 hour' }).click();
  await page.getByTestId('group-status').getByText('snoozed').waitFor();
  await page.getByTestId('timeline').locator('li', { hasText: 'snoozed' }).first().waitFor();
  await shot(page, 'group');
});

await check('a rule with a bad operator shows the error at that field', async () => {
  await page.goto(`${BASE}/w/${WS}/rules`);
  await page.locator('.rule-list li').first().waitFor();
  const op = page.locator('input[data-path="rules[0].when.op"]');
  await op.fill('bogus');
  const err = page.locator('[data-error-at="rules[0].when.op"]');
  await err.waitFor();
  assert(/bogus/.test(await err.innerText()), `error text: ${await err.innerText()}`);
  assert((await op.getAttribute('aria-invalid')) === 'true', 'the field is marked invalid');
  await shot(page, 'rules-error');
  await op.fill('gte');
  await err.waitFor({ state: 'detached' });
});

await check('rules reorder by drag and by the arrows, priorities follow', async () => {
  await page.goto(`${BASE}/w/${WS}/rules`);
  const items = page.locator('.rule-list li');
  await items.first().waitFor();
  const first = (await items.nth(0).innerText()).split('\n')[0];
  const second = (await items.nth(1).innerText()).split('\n')[0];
  await items.nth(1).dragTo(items.nth(0));
  await page.waitForFunction((t) => document.querySelector('.rule-list li')?.textContent?.startsWith(t), second, { timeout: W });
  assert(/priority 10\b/.test(await items.nth(0).innerText()), 'the dragged rule takes priority 10');
  await page.getByText('Unsaved changes').waitFor();
  await items.nth(0).getByRole('button', { name: /down$/ }).click();
  await page.waitForFunction((t) => document.querySelector('.rule-list li')?.textContent?.startsWith(t), first, { timeout: W });
  await page.getByRole('button', { name: 'Discard' }).click();
  await page.getByText('Unsaved changes').waitFor({ state: 'detached' });
});

await check('the three-column test answers for the edited rules', async () => {
  await page.goto(`${BASE}/w/${WS}/rules`);
  const answer = page.getByTestId('test-answer');
  await answer.getByText('accepted', { exact: true }).waitFor();
  await answer.getByText(/Notified|Not notified/).first().waitFor();
  // Editing the rules changes the answer: with the first rule's channel removed it notifies nobody for that rule.
  await page.getByLabel('Sample payload').selectOption({ label: 'Alertmanager: 2 alerts firing' });
  await answer.getByText('alertmanager').first().waitFor();
  await shot(page, 'rules');
});

await check('what-if shows the notifications the edited rules gain and lose', async () => {
  await page.goto(`${BASE}/w/${WS}/rules`);
  await page.locator('.rule-list li').first().waitFor();
  for (const cb of await page.locator('.rule-list input[type="checkbox"]').all()) await cb.uncheck();
  await page.getByText('Unsaved changes').waitFor();
  await page.getByRole('button', { name: 'Replay' }).click();
  const diff = page.getByTestId('whatif');
  await diff.waitFor();
  await diff.locator('.diff-loss', { hasText: '−' }).first().waitFor();
  // The live test follows the edit too: with every rule disabled nothing matches.
  await page.getByTestId('three-column').getByText('(disabled)').first().waitFor();
  await page.getByTestId('test-answer').getByText('No rule matched').first().waitFor();
  await shot(page, 'rules-whatif');
  await page.getByRole('button', { name: 'Discard' }).click();
});

await check('group detail pages events and state changes newest first, with load more on both', async () => {
  const title = `Queue consumer lag ${uniq()}`;
  const fingerprint = Math.random().toString(16).slice(2, 18).padEnd(16, '0');
  const t0 = Date.now() - 3_600_000;
  let id = null;
  for (let i = 0; i < 60; i++) {
    // one alert (same fingerprint) firing again and again: one group, 60 events
    const out = await postWebhook(BASE, WS, 'alertmanager', key, alertBody({ title, severity: 'warning', fingerprint, startsAt: new Date(t0 + i * 1000).toISOString() }));
    id = id ?? out.alerts[0].group_id;
  }
  for (let i = 0; i < 56; i++) {
    await api.call('POST', `/api/workspaces/${WS}/groups/${id}/actions`, { command: i % 2 ? 'unack' : 'ack' });
  }
  const detail = await api.call('GET', `/api/workspaces/${WS}/groups/${id}`);
  assert(detail.count === 60 && detail.events.length === 50 && detail.events_next, `the API answers one page: ${detail.count} ${detail.events.length}`);
  await page.goto(`${BASE}/w/${WS}/groups/${id}`);
  const count = page.getByTestId('timeline-count');
  await count.getByText(/^50 of 60 events · 50\+ state changes$/).waitFor();
  const more = page.getByTestId('load-more');
  await more.scrollIntoViewIfNeeded();
  await shot(page, 'group-load-more');
  await more.getByRole('button', { name: 'Load 10 older events' }).click();
  await count.getByText(/^60 of 60 events/).waitFor();
  await more.getByRole('button', { name: 'Load older state changes' }).click();
  await count.getByText(/· 57 state changes$/).waitFor();
  await page.getByTestId('load-more').waitFor({ state: 'detached' });
  // newest first: among the state changes the last command leads and the opening ends them
  // (events and changes of one instant may interleave either way)
  const changes = page.getByTestId('timeline').locator('li', { hasNotText: 'Event received' });
  assert(/unacknowledged/.test(await changes.first().innerText()), `the newest change first: ${await changes.first().innerText()}`);
  assert(/opened the group/.test(await changes.last().innerText()), `the oldest change last: ${await changes.last().innerText()}`);
});

await check('the rule tester loads a stored event\'s real payload and dry-runs it', async () => {
  const title = `Stored payload ${uniq()}`;
  const out = await postWebhook(BASE, WS, 'alertmanager', key, alertBody({ title, severity: 'error' }));
  await page.goto(`${BASE}/w/${WS}/groups/${out.alerts[0].group_id}`);
  await page.getByRole('link', { name: 'Test in rules' }).click();
  await page.waitForURL(/\/rules\?event=/);
  const origin = page.getByTestId('payload-origin');
  await origin.getByText('stored event').waitFor();
  await origin.getByText(title).waitFor();
  const text = await page.getByLabel('Payload', { exact: true }).inputValue();
  assert(text.includes(title) && text.includes('"receiver":"signalcraft"'), 'the editor holds the delivery as received');
  const answer = page.getByTestId('test-answer');
  await answer.getByText(title).waitFor();
  await answer.getByText('accepted', { exact: true }).waitFor();
  await shot(page, 'rules-stored-event');
  // the recent groups are in the picker too
  await page.getByLabel('Sample payload').selectOption({ label: 'Alertmanager: 2 alerts firing' });
  await origin.waitFor({ state: 'detached' });
  assert(!page.url().includes('event='), 'the event leaves the URL with another payload');
});

await check('channels show their circuit breaker (closed, open with the retry time)', async () => {
  const dead = createServer((_req, res) => { res.writeHead(503, { 'content-type': 'text/plain' }); res.end('down for maintenance'); });
  await new Promise((r) => dead.listen(0, '127.0.0.1', r));
  const name = `pager-${uniq()}`;
  try {
    const put = await api.call('PUT', `/api/workspaces/${WS}/channels/${name}`, {
      kind: 'webhook',
      config: { url: `http://127.0.0.1:${dead.address().port}/hook`, breaker: { failures: 1, open_secs: 900 } },
    });
    assert(put.breaker.state === 'closed', `a new channel's breaker is closed: ${JSON.stringify(put.breaker)}`);
    await page.goto(`${BASE}/w/${WS}/integrations`);
    await page.getByTestId(`breaker-${name}`).getByText('closed').waitFor();
    await api.call('POST', `/api/workspaces/${WS}/channels/${name}/test`);
    const deadline = Date.now() + W;
    for (;;) {
      const chans = (await api.call('GET', `/api/workspaces/${WS}/channels`)).channels;
      if (chans.find((c) => c.name === name)?.breaker.state === 'open') break;
      assert(Date.now() < deadline, 'the breaker never opened');
      await new Promise((r) => setTimeout(r, 200));
    }
    await page.reload();
    const cell = page.getByTestId(`breaker-${name}`);
    await cell.getByText('open', { exact: true }).waitFor();
    await cell.getByText(/1 consecutive failure · paused, retry in 1[45]m/).waitFor();
    await cell.scrollIntoViewIfNeeded();
    await shot(page, 'integrations-breaker');
  } finally {
    await api.call('DELETE', `/api/workspaces/${WS}/channels/${name}`).catch(() => {});
    dead.close();
  }
});

await check('the inbox sorts every column on the server', async () => {
  const tok = `srt${uniq()}`;
  for (const t of ['charlie', 'Alpha', 'bravo']) {
    await postWebhook(BASE, WS, 'alertmanager', key, alertBody({ title: `${t} ${tok}` }));
  }
  await page.goto(inbox(`q=${tok}`));
  await page.waitForFunction(() => document.querySelectorAll('.grid-row').length === 3, null, { timeout: W });
  const asked = [];
  const onReq = (r) => { if (r.url().includes(`/api/workspaces/${WS}/groups?`)) asked.push(new URL(r.url()).searchParams); };
  page.on('request', onReq);
  await page.getByRole('columnheader', { name: /^Title/ }).getByRole('button').click();
  await page.waitForURL(/sort=title/);
  await page.waitForFunction((t) => [...document.querySelectorAll('.grid-row .title')].map((e) => e.textContent).join('|') === `Alpha ${t}|bravo ${t}|charlie ${t}`, tok, { timeout: W });
  assert(asked.some((p) => p.get('sort') === 'title' && p.get('order') === 'asc'), 'the server was asked to sort by title');
  await page.getByRole('columnheader', { name: /^Title/ }).getByRole('button').click();
  // desc is the default order, so the URL just drops order=asc
  await page.waitForURL((u) => u.searchParams.get('sort') === 'title' && !u.searchParams.has('order'));
  await page.waitForFunction((t) => [...document.querySelectorAll('.grid-row .title')].map((e) => e.textContent).join('|') === `charlie ${t}|bravo ${t}|Alpha ${t}`, tok, { timeout: W });
  for (const [label, sort] of [['Status', 'status'], ['Source', 'source'], ['Project', 'project'], ['Env', 'environment'], ['Assignee', 'assignee']]) {
    await page.getByRole('columnheader', { name: new RegExp(`^${label}`) }).getByRole('button').click();
    await page.waitForURL(new RegExp(`sort=${sort}`));
    await page.waitForFunction(() => document.querySelectorAll('.grid-row').length === 3, null, { timeout: W });
  }
  page.off('request', onReq);
  for (const sort of ['status', 'source', 'project', 'environment', 'assignee']) {
    assert(asked.some((p) => p.get('sort') === sort), `the server was asked to sort by ${sort}`);
  }
  await page.getByRole('columnheader', { name: /^Title/ }).getByRole('button').click();
  await page.waitForURL(/sort=title/);
  await shot(page, 'inbox-sorted-title');
});

await check('the overview charts render with data', async () => {
  await page.goto(`${BASE}/w/${WS}/overview`);
  // Bars with height: the series carries the alerts.
  await page.getByTestId('chart-alerts').locator('.recharts-bar-rectangle').first().waitFor({ state: 'attached' });
  const heights = await page.getByTestId('chart-alerts').locator('.recharts-bar-rectangle path').evaluateAll((ps) => ps.map((p) => p.getBBox().height));
  assert(heights.filter((h) => h > 1).length >= 3, `bar heights ${heights}`);
  for (const id of ['chart-status', 'chart-severity']) {
    await page.getByTestId(id).locator('.recharts-bar-rectangle').first().waitFor({ state: 'attached' });
    const widths = await page.getByTestId(id).locator('.recharts-bar-rectangle rect').evaluateAll((rs) => rs.map((r) => r.getBBox().width));
    assert(widths.filter((w) => w > 1).length >= 2, `${id} bar widths ${widths}`);
  }
  const kpi = await page.locator('.kpi-value').first().innerText();
  assert(Number(kpi.replace(/,/g, '')) > 0, `alerts KPI ${kpi}`);
  await shot(page, 'overview');
});

await check('silences, integrations and settings pages render', async () => {
  await page.goto(`${BASE}/w/${WS}/silences`);
  await page.getByRole('heading', { name: 'Maintenance windows' }).waitFor();
  await page.getByRole('button', { name: 'New silence' }).click();
  await page.getByText(/Would mute \d+ open group/).waitFor();
  await shot(page, 'silences-new');
  await page.getByRole('button', { name: 'Silence', exact: true }).click();
  const row = page.locator('tr', { hasText: 'source is grafana' }).first();
  await row.waitFor();
  await row.getByTestId('silence-creator').getByText(EMAIL).waitFor();
  const listed = (await api.call('GET', `/api/workspaces/${WS}/silences`)).silences;
  assert(listed.some((s) => s.created_by === `user:${EMAIL}`), 'the API records the creator');
  await shot(page, 'silences');
  await page.goto(`${BASE}/w/${WS}/integrations`);
  await page.getByRole('article', { name: 'alertmanager integration' }).waitFor();
  await page.getByRole('article', { name: 'alertmanager integration' }).getByText(/accepted 24 h/).waitFor();
  await shot(page, 'integrations');
  await page.goto(`${BASE}/w/${WS}/settings`);
  await page.getByRole('heading', { name: 'Members' }).waitFor();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  await shot(page, 'settings');
});

await check('the workspace switcher opens another workspace', async () => {
  const name = `staging-${uniq()}`;
  await api.call('POST', '/api/workspaces', { name });
  await page.goto(inbox());
  await page.getByLabel('Workspace').selectOption(name);
  await page.waitForURL(new RegExp(`/w/${name}/inbox`));
  await page.getByText('Inbox zero').waitFor();
  await page.getByLabel('Workspace').selectOption(WS);
  await page.waitForURL(new RegExp(`/w/${WS}/inbox`));
  await page.locator('.grid-row').first().waitFor();
});

await check('an API token is shown once at creation and listed after', async () => {
  await page.goto(`${BASE}/w/${WS}/settings`);
  const name = `ci-${uniq()}`;
  await page.getByLabel('Token name').fill(name);
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = await page.getByTestId('new-token').innerText();
  assert(token.length >= 16, `token ${token}`);
  await page.locator('table', { hasText: name }).waitFor();
  const r = await fetch(`${BASE}/api/workspaces/${WS}/groups?limit=1`, { headers: { authorization: `Bearer ${token}` } });
  assert(r.status === 200, `the new token reads: ${r.status}`);
  await page.getByRole('button', { name: 'Done' }).click();
  assert((await page.getByTestId('new-token').count()) === 0, 'the token is gone once dismissed');
});

await check('dark mode follows the system and can be switched', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(inbox());
  await page.locator('.grid-row').first().waitFor();
  assert((await page.evaluate(() => document.documentElement.dataset.theme)) === 'dark', 'follows the system');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert(bg === 'rgb(14, 16, 20)', `dark background, got ${bg}`);
  await shot(page, 'inbox-dark');
  await page.goto(`${BASE}/w/${WS}/overview`);
  await page.getByTestId('chart-status').waitFor();
  await shot(page, 'overview-dark');
  await page.getByLabel('Theme').selectOption('light');
  assert((await page.evaluate(() => document.documentElement.dataset.theme)) === 'light', 'switched to light');
  await page.getByLabel('Theme').selectOption('system');
  await page.emulateMedia({ colorScheme: 'light' });
});

const fleetMonitor = await fleetChecks({ check, page, api, BASE, WS, assert, shot, uniq });

await check('axe-core finds no serious violation on any page (light and dark)', async () => {
  const groups = await api.call('GET', `/api/workspaces/${WS}/groups?limit=1`);
  const pages = ['inbox', 'overview', 'fleet', `fleet?monitor=${encodeURIComponent(fleetMonitor)}`, 'rules', 'silences', 'integrations', 'settings', `groups/${groups.groups[0].id}`];
  const found = [];
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const p of pages) {
      await page.goto(`${BASE}/w/${WS}/${p}`);
      await page.locator('main').waitFor();
      await page.waitForLoadState('networkidle').catch(() => {});
      await page.waitForTimeout(300);
      for (const v of await axe(page)) found.push(`${scheme} ${p}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.join(', ')}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  const ctx2 = await launch();
  const anon = ctx2.pages()[0] ?? (await ctx2.newPage());
  await anon.goto(`${BASE}/login`);
  await anon.getByLabel('Email').waitFor();
  for (const v of await axe(anon)) found.push(`login: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.join(', ')}`);
  await ctx2.close();
  assert(found.length === 0, `violations:\n${found.join('\n')}`);
});

await check('the inbox at 375 px wide', async () => {
  await page.setViewportSize({ width: 375, height: 812 });
  await page.goto(inbox());
  await page.locator('.grid-row').first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await page.locator('.grid-row .title a').first().waitFor({ state: 'visible' });
  await shot(page, 'inbox-375');
  await page.getByRole('button', { name: 'Open menu' }).click();
  await page.getByRole('link', { name: 'Overview' }).click();
  await page.waitForURL(/overview/);
  await page.locator('.kpi').first().waitFor();
  await shot(page, 'overview-375');
  await page.setViewportSize({ width: 1440, height: 900 });
});

await check('no uncaught error in any page', async () => {
  assert(errors.length === 0, errors.join('\n'));
});

await ctx.close();
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`screenshots: ${SHOTS}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
