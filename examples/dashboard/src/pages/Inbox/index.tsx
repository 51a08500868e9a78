// The alert inbox: filters in the URL, saved views, sortable and reorderable columns, cursor
// pagination as you scroll (virtualized rows), live updates that never wipe work in progress,
// bulk actions and keyboard triage.
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { flexRender, getCoreRowModel, useReactTable, type ColumnDef, type Row, type RowSelectionState } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { api, call, type AlertGroup, type ChangeEvent, type Command } from '../../api/client';
import { Layout } from '../../components/Layout';
import { useCan, useSession } from '../../components/session';
import { EmptyState, ErrorState, Loading, Modal, Popover, Rel, SeverityBadge, StatusBadge, useToast } from '../../components/ui';
import { actedText, actOn } from '../../lib/actions';
import {
  activeFilterCount, clickSort, DEFAULT_FILTERS, filtersFromSearch, filtersToQuery, filtersToSearch, matchesFilters, sinceFor,
  SEVERITIES, SOURCES, STATUSES, type InboxFilters, type ServerSort,
} from '../../lib/filters';
import { INBOX_KEYS, inboxActionFor, moveCursor } from '../../lib/keys';
import { useChangeStream } from '../../lib/stream';
import { snoozeUntil } from '../../lib/time';
import { columnPrefs, saveColumnPrefs, savedViews, saveViews, type SavedView } from './prefs';

const PAGE = 200;

type ColId = 'time' | 'title' | 'source' | 'project' | 'environment' | 'severity' | 'status' | 'count' | 'assignee';
/** The columns; every one sorts on the server (`sort` of the groups query), so a sorted view
 *  is the whole workspace's order, page after page, never just the loaded rows. */
export const COLUMNS: { id: ColId; label: string; width: string; server: ServerSort }[] = [
  { id: 'severity', label: 'Severity', width: '104px', server: 'severity' },
  { id: 'title', label: 'Title', width: 'minmax(240px, 1fr)', server: 'title' },
  { id: 'status', label: 'Status', width: '104px', server: 'status' },
  { id: 'source', label: 'Source', width: '110px', server: 'source' },
  { id: 'project', label: 'Project', width: '120px', server: 'project' },
  { id: 'environment', label: 'Env', width: '100px', server: 'environment' },
  { id: 'count', label: 'Count', width: '72px', server: 'count' },
  { id: 'assignee', label: 'Assignee', width: '140px', server: 'assignee' },
  { id: 'time', label: 'Last seen', width: '104px', server: 'last_seen' },
];

export function Inbox() {
  const { ws = '' } = useParams();
  const [search, setSearch] = useSearchParams();
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const query = useMemo(() => filtersToQuery(filters), [filters]);
  const { me } = useSession();
  const canAct = useCan(ws, 'member');
  const qc = useQueryClient();
  const toast = useToast();
  const nav = useNavigate();
  const userKey = `${me.user?.email ?? me.actor}|${ws}`;

  // Saved views: on an inbox URL without a query, open the user's default view.
  const [views, setViews] = useState<SavedView[]>(() => savedViews(userKey));
  const didDefault = useRef(false);
  useEffect(() => {
    if (didDefault.current) return;
    didDefault.current = true;
    const def = views.find((v) => v.isDefault);
    if (def && search.toString() === '' && def.search) setSearch(new URLSearchParams(def.search), { replace: true });
  }, [views, search, setSearch]);

  const setFilters = useCallback((patch: Partial<InboxFilters>) => {
    setSearch(new URLSearchParams(filtersToSearch({ ...filters, ...patch })), { replace: false });
  }, [filters, setSearch]);

  const groupsKey = useMemo(() => ['groups', ws, query] as const, [ws, query]);
  const list = useInfiniteQuery({
    queryKey: groupsKey,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      call(api.GET('/api/workspaces/{ws}/groups', {
        params: { path: { ws }, query: { ...query, limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) } as never },
      })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    staleTime: 5_000,
  });

  // Local patches over the pages: live updates of loaded rows and the results of our actions.
  const [patches, setPatches] = useState<Record<string, AlertGroup>>({});
  useEffect(() => setPatches({}), [list.dataUpdatedAt]);
  const rows = useMemo(() => {
    const seen = new Set<string>();
    const out: AlertGroup[] = [];
    for (const p of list.data?.pages ?? []) for (const g of p.groups) {
      if (seen.has(g.id)) continue;
      seen.add(g.id);
      out.push(patches[g.id] ?? g);
    }
    return out;
  }, [list.data, patches]);

  // The server's order (every column's sort is the groups query's): rows as the pages come.
  const shown = rows;

  const [selection, setSelection] = useState<RowSelectionState>({});
  const selectedIds = useMemo(() => Object.keys(selection).filter((k) => selection[k]), [selection]);
  const [cursorId, setCursorId] = useState<string | null>(null);
  const cursor = cursorId ? shown.findIndex((g) => g.id === cursorId) : -1;

  // Live updates. Idle: merge at once. Mid-selection: patch loaded rows in place, announce new ones.
  const [pending, setPending] = useState<Set<string>>(new Set());
  const busy = selectedIds.length > 0;
  const busyRef = useRef(busy);
  busyRef.current = busy;
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  const mergeTimer = useRef<number | null>(null);
  const merge = useCallback(() => {
    setPending(new Set());
    void qc.invalidateQueries({ queryKey: ['groups', ws] });
  }, [qc, ws]);
  const [notify, setNotify] = useState(() => localStorage.getItem('sc.notify') === '1');
  // Loaded rows that changed: fetched in batches (at most every 400 ms, 50 at a time) and patched in place.
  const toPatch = useRef(new Set<string>());
  const patchTimer = useRef<number | null>(null);
  const toCheck = useRef(new Set<string>());
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const flushPatches = useCallback(() => {
    patchTimer.current = null;
    const take = (set: { current: Set<string> }) => {
      const ids = [...set.current].slice(0, 50);
      set.current = new Set([...set.current].slice(50));
      return ids;
    };
    const fetchGroup = (id: string) =>
      call(api.GET('/api/workspaces/{ws}/groups/{id}', { params: { path: { ws, id } } })).then((g) => {
        const { events: _e, timeline: _t, ...group } = g;
        return group;
      });
    for (const id of take(toPatch)) {
      void fetchGroup(id).then((g) => setPatches((p) => ({ ...p, [g.id]: g }))).catch(() => {});
    }
    // New groups are announced only when they belong in the view.
    for (const id of take(toCheck)) {
      void fetchGroup(id).then((g) => {
        if (matchesFilters(g, filtersRef.current)) setPending((s) => new Set(s).add(g.id));
      }).catch(() => {});
    }
    if (toPatch.current.size || toCheck.current.size) patchTimer.current = window.setTimeout(flushPatches, 400);
  }, [ws]);
  const onChange = useCallback((c: ChangeEvent) => {
    const loaded = rowsRef.current.some((g) => g.id === c.group_id);
    // Work in progress: a selection, or the list scrolled away from its top (new rows would move it).
    const inProgress = busyRef.current || (scrollRef.current?.scrollTop ?? 0) > 72;
    if (!inProgress) {
      if (mergeTimer.current === null) {
        mergeTimer.current = window.setTimeout(() => { mergeTimer.current = null; merge(); }, 300);
      }
    } else if (loaded) {
      toPatch.current.add(c.group_id);
      if (patchTimer.current === null) patchTimer.current = window.setTimeout(flushPatches, 400);
    } else {
      toCheck.current.add(c.group_id);
      if (patchTimer.current === null) patchTimer.current = window.setTimeout(flushPatches, 400);
    }
    if (!loaded && c.kind === 'event' && notify && 'Notification' in window && Notification.permission === 'granted') {
      void call(api.GET('/api/workspaces/{ws}/groups/{id}', { params: { path: { ws, id: c.group_id } } })).then((g) => {
        if (g.severity !== 'critical' || !matchesFilters(g, filtersRef.current)) return;
        new Notification(`Critical: ${g.title}`, { body: `${g.source}${g.project ? ' · ' + g.project : ''}`, tag: g.id });
        beep();
      }).catch(() => {});
    }
  }, [merge, notify, ws, flushPatches]);
  const live = useChangeStream(ws, onChange);

  const act = useCallback(async (ids: string[], command: Command) => {
    if (!ids.length) return;
    if (!canAct) { toast('Your role cannot act on groups', true); return; }
    try {
      const r = await actOn(ws, ids, command);
      setPatches((p) => { const n = { ...p }; for (const g of r.ok) n[g.id] = g; return n; });
      if (r.ok.length) toast(actedText(command, r.ok.length));
      if (r.failed.length) toast(`${r.failed.length} failed: ${r.failed[0]!.message}`, true);
      void qc.invalidateQueries({ queryKey: ['stats', ws] });
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e), true);
    }
  }, [canAct, qc, toast, ws]);

  // Columns: chosen and ordered per user (localStorage).
  const [prefs, setPrefs] = useState(() => columnPrefs(userKey, COLUMNS.map((c) => c.id)));
  useEffect(() => saveColumnPrefs(userKey, prefs), [userKey, prefs]);
  const visibleCols = prefs.order.filter((id) => !prefs.hidden.includes(id)).map((id) => COLUMNS.find((c) => c.id === id)!).filter(Boolean);

  const columns = useMemo<ColumnDef<AlertGroup>[]>(() => [
    {
      id: 'select',
      header: ({ table }) => (
        <input type="checkbox" aria-label="Select all loaded groups" checked={table.getIsAllRowsSelected()}
          ref={(el) => { if (el) el.indeterminate = table.getIsSomeRowsSelected(); }}
          onChange={table.getToggleAllRowsSelectedHandler()} />
      ),
      cell: ({ row }) => (
        <input type="checkbox" aria-label={`Select ${row.original.title}`} checked={row.getIsSelected()} onChange={row.getToggleSelectedHandler()} onClick={(e) => e.stopPropagation()} />
      ),
    },
    ...COLUMNS.map<ColumnDef<AlertGroup>>((c) => ({
      id: c.id,
      header: c.label,
      cell: ({ row }) => {
        const g = row.original;
        switch (c.id) {
          case 'severity': return <SeverityBadge severity={g.severity} />;
          case 'status': return <StatusBadge status={g.status} />;
          case 'title': return <Link to={`/w/${encodeURIComponent(ws)}/groups/${g.id}`} state={{ from: search.toString() }} title={g.title}>{g.title}</Link>;
          case 'time': return <Rel at={g.last_seen} />;
          case 'count': return <span>{g.count.toLocaleString()}</span>;
          case 'assignee': return g.assignee ? <span title={g.assignee}>{g.assignee}</span> : <span className="muted">—</span>;
          default: return (g[c.id] ?? <span className="muted">—</span>) as React.ReactNode;
        }
      },
    })),
  ], [ws, search]);

  const table = useReactTable({
    data: shown,
    columns,
    getRowId: (g) => g.id,
    state: {
      rowSelection: selection,
      columnOrder: ['select', ...prefs.order],
      columnVisibility: Object.fromEntries(prefs.hidden.map((h) => [h, false])),
    },
    enableRowSelection: true,
    onRowSelectionChange: setSelection,
    getCoreRowModel: getCoreRowModel(),
  });
  const tableRows = table.getRowModel().rows;
  const template = `40px ${visibleCols.map((c) => c.width).join(' ')}`;
  // Every row is its own grid: one fixed minimum width keeps the columns aligned across rows.
  const minWidth = 40 + visibleCols.reduce((n, c) => n + (parseInt(c.width, 10) || 240), 0) + visibleCols.length * 0;

  const scrollRef = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({ count: tableRows.length, getScrollElement: () => scrollRef.current, estimateSize: () => 36, overscan: 12 });
  const items = virt.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1]!.index : 0;
  useEffect(() => {
    if (list.hasNextPage && !list.isFetchingNextPage && lastIndex >= tableRows.length - 30) void list.fetchNextPage();
  }, [lastIndex, tableRows.length, list]);

  const openGroup = useCallback((id: string) => nav(`/w/${encodeURIComponent(ws)}/groups/${id}`, { state: { from: search.toString() } }), [nav, ws, search]);

  // Keyboard triage.
  const searchRef = useRef<HTMLInputElement>(null);
  const [showFilters, setShowFilters] = useState(false);
  const [rangeOpen, setRangeOpen] = useState(false);
  const [help, setHelp] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (document.querySelector('dialog[open]') && e.key !== 'Escape') return;
      const a = inboxActionFor({ key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, target: e.target as HTMLElement });
      if (!a) return;
      const cur = cursor >= 0 ? shown[cursor] : undefined;
      const targets = selectedIds.length ? selectedIds : cur ? [cur.id] : [];
      switch (a) {
        case 'down': case 'up': {
          e.preventDefault();
          const n = moveCursor(cursor, a, shown.length);
          const g = shown[n];
          if (g) { setCursorId(g.id); virt.scrollToIndex(n, { align: 'auto' }); }
          break;
        }
        case 'select': if (cur) setSelection((s) => ({ ...s, [cur.id]: !s[cur.id] })); break;
        case 'ack': void act(targets, { command: 'ack' }); break;
        case 'resolve': void act(targets, { command: 'resolve' }); break;
        case 'snooze': void act(targets, { command: 'snooze', until: snoozeUntil('1h') }); break;
        case 'open': if (cur) nav(`/w/${encodeURIComponent(ws)}/groups/${cur.id}`, { state: { from: search.toString() } }); break;
        case 'search': e.preventDefault(); searchRef.current?.focus(); break;
        case 'help': setHelp(true); break;
        case 'escape':
          if (e.target instanceof HTMLInputElement) e.target.blur();
          else setSelection({});
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [cursor, shown, selectedIds, act, nav, ws, search, virt]);

  // Free text goes to the URL after a pause.
  const [q, setQ] = useState(filters.q);
  useEffect(() => setQ(filters.q), [filters.q]);
  useEffect(() => {
    if (q === filters.q) return;
    const t = setTimeout(() => setFilters({ q }), 300);
    return () => clearTimeout(t);
  }, [q, filters.q, setFilters]);

  const currentSearch = search.toString();
  const builtIn: SavedView[] = [
    { name: 'Needs attention', search: '' },
    { name: 'Mine', search: filtersToSearch({ ...DEFAULT_FILTERS, assignee: me.user?.email ?? me.actor }) },
    { name: 'Unassigned', search: filtersToSearch({ ...DEFAULT_FILTERS, assignee: 'none' }) },
    { name: 'Critical', search: filtersToSearch({ ...DEFAULT_FILTERS, severity: ['critical'] }) },
    { name: 'All', search: filtersToSearch({ ...DEFAULT_FILTERS, status: [] }) },
  ];
  const nFilters = activeFilterCount(filters);

  return (
    <Layout
      title="Inbox"
      flush
      actions={
        <div className="row">
          <span className={`badge ${live === 'live' ? 'st-resolved' : 'st-snoozed'}`} title="Live updates from the server" aria-live="polite">
            <span className="dot" style={{ background: 'currentColor' }} aria-hidden="true" />{live === 'live' ? 'Live' : live}
          </span>
          <button className="ghost hide-narrow" aria-pressed={notify} title="Browser notifications for new critical groups in this view"
            onClick={async () => {
              const next = !notify;
              if (next && 'Notification' in window && Notification.permission === 'default') await Notification.requestPermission();
              setNotify(next);
              localStorage.setItem('sc.notify', next ? '1' : '0');
            }}>{notify ? 'Notifications on' : 'Notify me'}</button>
          <button className="ghost" onClick={() => setHelp(true)}><span className="kbd" aria-hidden="true">?</span> Keys</button>
        </div>
      }
    >
      <div className="inbox">
        <div className="views" role="toolbar" aria-label="Views">
          {[...builtIn, ...views].map((v) => (
            <button key={v.name} aria-pressed={currentSearch === v.search} onClick={() => setSearch(new URLSearchParams(v.search))}>
              {v.name}{v.isDefault ? ' ★' : ''}
            </button>
          ))}
          <Popover label="+ Save view" buttonClass="ghost sm">
            {(close) => <SaveView views={views} onSave={(name, isDefault) => {
              const next = [...views.filter((v) => v.name !== name).map((v) => (isDefault ? { ...v, isDefault: false } : v)), { name, search: currentSearch, isDefault }];
              setViews(next); saveViews(userKey, next); close();
            }} onDelete={(name) => { const next = views.filter((v) => v.name !== name); setViews(next); saveViews(userKey, next); }} />}
          </Popover>
          <div style={{ flex: 1 }} />
          <div style={{ alignSelf: 'center' }}><ColumnsMenu prefs={prefs} setPrefs={setPrefs} /></div>
        </div>
        <div className={`filterbar ${showFilters ? 'expanded' : ''}`} role="search">
          <input ref={searchRef} type="search" placeholder="Search  ( / )" aria-label="Search" value={q} onChange={(e) => setQ(e.target.value)} />
          <button className="show-narrow" aria-expanded={showFilters} onClick={() => setShowFilters((v) => !v)}>Filters{nFilters ? ` (${nFilters})` : ''}</button>
          <MultiPick label="Status" all={STATUSES} value={filters.status} onChange={(status) => setFilters({ status })} cls="adv" />
          <MultiPick label="Severity" all={SEVERITIES} value={filters.severity} onChange={(severity) => setFilters({ severity })} cls="adv" />
          <SourcePick value={filters.source} onChange={(source) => setFilters({ source })} />
          <TextFilter label="Environment" value={filters.environment} onCommit={(environment) => setFilters({ environment })} />
          <TextFilter label="Project" value={filters.project} onCommit={(project) => setFilters({ project })} />
          <TextFilter label="Assignee" value={filters.assignee} onCommit={(assignee) => setFilters({ assignee })} />
          <select className="adv" aria-label="Last seen" style={{ width: 130 }} value={rangeOf(filters.since, filters.until)} onChange={(e) => {
            const v = e.target.value;
            if (v === 'custom') setRangeOpen(true);
            else setFilters({ since: v ? sinceFor(v as '1h', new Date()) : '', until: '' });
          }}>
            <option value="">Any time</option>
            <option value="1h">Last hour</option>
            <option value="24h">Last 24 h</option>
            <option value="7d">Last 7 days</option>
            <option value="custom">{rangeOf(filters.since, filters.until) === 'custom' ? rangeText(filters.since, filters.until) : 'Custom range…'}</option>
          </select>
          {nFilters > 0 && <button className="ghost sm" onClick={() => setSearch(new URLSearchParams())}>Clear {nFilters} filter{nFilters > 1 ? 's' : ''}</button>}
        </div>
        {selectedIds.length > 0 && (
          <div className="bulkbar" role="toolbar" aria-label="Bulk actions">
            <strong>{selectedIds.length} selected</strong>
            <button onClick={() => act(selectedIds, { command: 'ack' })}>Acknowledge</button>
            <Popover label="Snooze ▾">
              {(close) => (['1h', '4h', 'tomorrow'] as const).map((p) => (
                <button key={p} className="item" onClick={() => { close(); void act(selectedIds, { command: 'snooze', until: snoozeUntil(p) }); }}>
                  {p === 'tomorrow' ? 'Until tomorrow 09:00' : `For ${p.replace('h', ' hours').replace('1 hours', '1 hour')}`}
                </button>
              ))}
            </Popover>
            <button onClick={() => act(selectedIds, { command: 'resolve' })}>Resolve</button>
            <Popover label="Assign ▾">
              {(close) => <AssignForm me={me.user?.email ?? ''} onAssign={(user) => { close(); void act(selectedIds, { command: 'assign', user }); }} />}
            </Popover>
            <button className="ghost" onClick={() => setSelection({})}>Clear</button>
          </div>
        )}
        {pending.size > 0 && (
          <div className="banner" role="status" data-testid="new-banner">
            <span className="dot" aria-hidden="true" />
            {pending.size} new {pending.size === 1 ? 'group' : 'groups'} in this view
            <button className="sm primary" onClick={() => { merge(); if (scrollRef.current) scrollRef.current.scrollTop = 0; }}>Show</button>
          </div>
        )}
        <div className="grid" ref={scrollRef} role="grid" aria-label="Alert groups" aria-rowcount={tableRows.length + 1}>
          <div className="grid-head" role="row" style={{ gridTemplateColumns: template, minWidth }}>
            {table.getHeaderGroups()[0]!.headers.map((h) => {
              const col = COLUMNS.find((c) => c.id === h.id);
              if (!col) return <div key={h.id} role="columnheader">{flexRender(h.column.columnDef.header, h.getContext())}</div>;
              const dir = filters.sort === col.server ? filters.order : null;
              return (
                <div key={h.id} role="columnheader" aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'} className={col.id === 'count' ? 'num' : ''}>
                  <button className="sort" aria-pressed={!!dir} title={`Sort by ${col.label.toLowerCase()} (on the server)`} onClick={() => setFilters(clickSort(filters, col.server))}>{col.label}{dir ? (dir === 'desc' ? ' ↓' : ' ↑') : ''}</button>
                </div>
              );
            })}
          </div>
          {list.isPending ? <div role="row"><div role="gridcell"><Loading rows={8} /></div></div> : list.isError ? <div role="row"><div role="gridcell"><ErrorState error={list.error} retry={() => list.refetch()} /></div></div> : tableRows.length === 0 ? (
            <div role="row"><div role="gridcell"><EmptyState title={nFilters ? 'No groups match this view' : 'Inbox zero'} action={nFilters ? <button onClick={() => setSearch(new URLSearchParams())}>Clear filters</button> : undefined}>
              {nFilters ? 'Try another filter or view.' : 'Nothing needs attention. New alerts appear here as they arrive.'}
            </EmptyState></div></div>
          ) : (
            <div role="rowgroup" style={{ height: virt.getTotalSize(), position: 'relative', minWidth }}>
              {items.map((vi) => {
                const row = tableRows[vi.index]!;
                return (
                  <InboxRow key={row.id} row={row} start={vi.start} template={template} minWidth={minWidth}
                    selected={row.getIsSelected()} isCursor={cursorId === row.id} columnsKey={template} onCursor={setCursorId} onOpen={openGroup} />
                );
              })}
            </div>
          )}
        </div>
        <div className="statusbar" aria-live="polite">
          <span data-testid="row-count">{rows.length.toLocaleString()} group{rows.length === 1 ? '' : 's'} loaded{list.hasNextPage ? ' · more as you scroll' : ''}</span>
          {list.isFetching && <span>Updating…</span>}
          <span className="hide-narrow" style={{ marginLeft: 'auto' }}><span className="kbd">j</span> <span className="kbd">k</span> move · <span className="kbd">a</span> ack · <span className="kbd">s</span> snooze · <span className="kbd">r</span> resolve · <span className="kbd">?</span> keys</span>
        </div>
      </div>
      <RangeDialog open={rangeOpen} since={filters.since} until={filters.until} onClose={() => setRangeOpen(false)}
        onApply={(since, until) => { setRangeOpen(false); setFilters({ since, until }); }} />
      <Modal title="Keyboard shortcuts" open={help} onClose={() => setHelp(false)}>
        <table className="plain"><tbody>
          {INBOX_KEYS.map((k) => <tr key={k.key}><td style={{ width: 72 }}><span className="kbd">{k.key === 'Escape' ? 'Esc' : k.key}</span></td><td>{k.label}</td></tr>)}
        </tbody></table>
        <p className="muted small" style={{ margin: 0 }}>Actions apply to the selected groups, or to the highlighted one.</p>
      </Modal>
    </Layout>
  );
}

/** One row; memoized so that scrolling renders only the rows that come into view. */
const InboxRow = memo(function InboxRow({ row, start, template, minWidth, selected, isCursor, onCursor, onOpen }: {
  row: Row<AlertGroup>; start: number; template: string; minWidth: number; selected: boolean; isCursor: boolean; columnsKey: string; onCursor: (id: string) => void; onOpen: (id: string) => void;
}) {
  const g = row.original;
  return (
    <div role="row" aria-selected={selected} data-id={g.id} data-status={g.status}
      className={`grid-row ${selected ? 'selected' : ''} ${isCursor ? 'cursor' : ''}`}
      style={{ gridTemplateColumns: template, transform: `translateY(${start}px)`, width: '100%', minWidth }}
      onClick={() => onCursor(g.id)} onDoubleClick={() => onOpen(g.id)}>
      {row.getVisibleCells().map((cell) => (
        <div key={cell.id} role="gridcell" className={`${cell.column.id === 'title' ? 'title' : ''} ${cell.column.id === 'count' ? 'num' : ''}`}>
          {flexRender(cell.column.columnDef.cell, cell.getContext())}
        </div>
      ))}
    </div>
  );
});

function rangeOf(since: string, until = ''): string {
  if (until) return 'custom';
  if (!since) return '';
  const age = Date.now() - Date.parse(since);
  for (const [k, ms] of [['1h', 3600_000], ['24h', 86400_000], ['7d', 7 * 86400_000]] as const) if (Math.abs(age - ms) < 120_000) return k;
  return 'custom';
}

function rangeText(since: string, until: string): string {
  const f = (t: string) => new Date(t).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return `${since ? f(since) : '…'} – ${until ? f(until) : 'now'}`;
}

/** `datetime-local` value of an RFC 3339 time (local), and back. */
const toLocal = (iso: string) => { if (!iso) return ''; const d = new Date(iso); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 16); };
const fromLocal = (v: string) => (v ? new Date(v).toISOString() : '');

function RangeDialog({ open, since, until, onClose, onApply }: { open: boolean; since: string; until: string; onClose: () => void; onApply: (since: string, until: string) => void }) {
  const [a, setA] = useState(toLocal(since));
  const [b, setB] = useState(toLocal(until));
  useEffect(() => { if (open) { setA(toLocal(since)); setB(toLocal(until)); } }, [open, since, until]);
  const bad = a && b && fromLocal(a) >= fromLocal(b);
  return (
    <Modal title="Last seen between" open={open} onClose={onClose}>
      <form className="stack" onSubmit={(e) => { e.preventDefault(); if (!bad) onApply(fromLocal(a), fromLocal(b)); }}>
        <div className="row">
          <label className="field">From<input type="datetime-local" value={a} onChange={(e) => setA(e.target.value)} /></label>
          <label className="field">To<input type="datetime-local" value={b} onChange={(e) => setB(e.target.value)} /></label>
        </div>
        {bad && <span className="field-error" role="alert">“From” must be before “To”.</span>}
        <div className="row" style={{ justifyContent: 'flex-end' }}><button type="button" onClick={onClose}>Cancel</button><button className="primary" type="submit" disabled={!!bad}>Apply</button></div>
      </form>
    </Modal>
  );
}

function beep() {
  try {
    const ctx = new AudioContext();
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.frequency.value = 880;
    g.gain.value = 0.05;
    o.connect(g).connect(ctx.destination);
    o.start();
    o.stop(ctx.currentTime + 0.15);
  } catch { /* no audio */ }
}

/** A value shown at once when changed, then kept in step with the URL it is written to. */
function useLocal<T>(value: T): [T, (v: T) => void] {
  const [v, setV] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => setV(value), [key]); // eslint-disable-line react-hooks/exhaustive-deps
  return [v, setV];
}

function MultiPick<T extends string>({ label, all, value: fromUrl, onChange: write, cls = '' }: { label: string; all: readonly T[]; value: T[]; onChange: (v: T[]) => void; cls?: string }) {
  const [value, setValue] = useLocal(fromUrl);
  const onChange = (v: T[]) => { setValue(v); write(v); };
  const short = (v: string) => (v === 'acknowledged' ? 'acked' : v);
  const text = value.length === 0 ? 'any' : value.length <= 2 ? value.map(short).join(', ') : `${value.length} selected`;
  return (
    <Popover label={<><span className="muted">{label}:</span> {text} ▾</>} buttonClass={cls}>
      {() => (
        <fieldset style={{ border: 0, margin: 0, padding: 4, display: 'flex', flexDirection: 'column', gap: 6 }}>
          <legend className="sr-only">{label}</legend>
          {all.map((s) => (
            <label key={s} className="check">
              <input type="checkbox" checked={value.includes(s)} onChange={(e) => onChange(e.target.checked ? [...value, s] : value.filter((x) => x !== s))} />
              {s}
            </label>
          ))}
        </fieldset>
      )}
    </Popover>
  );
}

function SourcePick({ value: fromUrl, onChange }: { value: InboxFilters['source']; onChange: (v: InboxFilters['source']) => void }) {
  const [value, setValue] = useLocal(fromUrl);
  return (
    <select className="adv" aria-label="Source" value={value} onChange={(e) => { const v = e.target.value as InboxFilters['source']; setValue(v); onChange(v); }}>
      <option value="">Any source</option>
      {SOURCES.map((s) => <option key={s} value={s}>{s}</option>)}
    </select>
  );
}

function TextFilter({ label, value, onCommit, placeholder }: { label: string; value: string; onCommit: (v: string) => void; placeholder?: string }) {
  const [v, setV] = useState(value);
  useEffect(() => setV(value), [value]);
  return (
    <input type="text" className="adv" aria-label={label} placeholder={placeholder ?? label} value={v} style={{ width: 100 }}
      onChange={(e) => setV(e.target.value)} onBlur={() => v !== value && onCommit(v.trim())}
      onKeyDown={(e) => { if (e.key === 'Enter') onCommit(v.trim()); }} />
  );
}

function ColumnsMenu({ prefs, setPrefs }: { prefs: { order: string[]; hidden: string[] }; setPrefs: (p: { order: string[]; hidden: string[] }) => void }) {
  const move = (i: number, d: number) => {
    const o = [...prefs.order];
    const j = i + d;
    if (j < 0 || j >= o.length) return;
    [o[i], o[j]] = [o[j]!, o[i]!];
    setPrefs({ ...prefs, order: o });
  };
  return (
    <Popover label="Columns ▾" align="right">
      {() => prefs.order.map((id, i) => {
        const c = COLUMNS.find((x) => x.id === id);
        if (!c) return null;
        return (
          <div key={id} className="row" style={{ justifyContent: 'space-between', padding: '2px 4px' }}>
            <label className="check">
              <input type="checkbox" checked={!prefs.hidden.includes(id)} disabled={id === 'title'}
                onChange={(e) => setPrefs({ ...prefs, hidden: e.target.checked ? prefs.hidden.filter((h) => h !== id) : [...prefs.hidden, id] })} />
              {c.label}
            </label>
            <span className="row" style={{ gap: 2 }}>
              <button className="ghost sm" aria-label={`Move ${c.label} left`} onClick={() => move(i, -1)} disabled={i === 0}>↑</button>
              <button className="ghost sm" aria-label={`Move ${c.label} right`} onClick={() => move(i, 1)} disabled={i === prefs.order.length - 1}>↓</button>
            </span>
          </div>
        );
      })}
    </Popover>
  );
}

function SaveView({ views, onSave, onDelete }: { views: SavedView[]; onSave: (name: string, isDefault: boolean) => void; onDelete: (name: string) => void }) {
  const [name, setName] = useState('');
  const [def, setDef] = useState(false);
  return (
    <form className="stack" style={{ padding: 4, gap: 8 }} onSubmit={(e) => { e.preventDefault(); if (name.trim()) onSave(name.trim(), def); }}>
      <label className="field">View name<input type="text" value={name} onChange={(e) => setName(e.target.value)} required /></label>
      <label className="check"><input type="checkbox" checked={def} onChange={(e) => setDef(e.target.checked)} />Open by default</label>
      <button className="primary" type="submit">Save view</button>
      {views.length > 0 && <div className="stack" style={{ gap: 4 }}>
        <span className="muted small">Saved views</span>
        {views.map((v) => <div key={v.name} className="row" style={{ justifyContent: 'space-between' }}><span>{v.name}</span><button type="button" className="ghost sm danger" onClick={() => onDelete(v.name)} aria-label={`Delete view ${v.name}`}>Delete</button></div>)}
      </div>}
    </form>
  );
}

function AssignForm({ me, onAssign }: { me: string; onAssign: (user: string | null) => void }) {
  const [user, setUser] = useState('');
  return (
    <form className="stack" style={{ padding: 4, gap: 8 }} onSubmit={(e) => { e.preventDefault(); onAssign(user.trim() || null); }}>
      {me && <button type="button" className="item" onClick={() => onAssign(me)}>Assign to me</button>}
      <button type="button" className="item" onClick={() => onAssign(null)}>Unassign</button>
      <label className="field">Someone else<input type="text" value={user} onChange={(e) => setUser(e.target.value)} placeholder="name or email" /></label>
      <button type="submit">Assign</button>
    </form>
  );
}
