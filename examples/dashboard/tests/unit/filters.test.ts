import { describe, expect, it } from 'vitest';
import { activeFilterCount, DEFAULT_FILTERS, filtersFromSearch, filtersToQuery, filtersToSearch, matchesFilters, sinceFor, clickSort } from '../../src/lib/filters';

describe('filters <-> URL', () => {
  it('the default view is the empty query, and back', () => {
    expect(filtersToSearch(DEFAULT_FILTERS)).toBe('');
    expect(filtersFromSearch('')).toEqual(DEFAULT_FILTERS);
  });

  it('round-trips every field', () => {
    const f = {
      ...DEFAULT_FILTERS,
      status: ['open' as const],
      severity: ['error' as const, 'critical' as const],
      source: 'sentry' as const,
      environment: 'production',
      project: 'api',
      assignee: 'none',
      q: 'timeout & retry',
      since: '2026-12-01T00:00:00.000Z',
      until: '2026-12-01T06:00:00.000Z',
      sort: 'count' as const,
      order: 'asc' as const,
    };
    const search = filtersToSearch(f);
    const back = filtersFromSearch(search);
    // Lists come back in the canonical order.
    expect(back).toEqual({ ...f, severity: ['critical', 'error'] });
    expect(filtersToSearch(back)).toBe(search);
  });

  it('equal views give equal URLs whatever the order they were picked in', () => {
    const a = filtersToSearch({ ...DEFAULT_FILTERS, severity: ['warning', 'critical'] });
    const b = filtersToSearch({ ...DEFAULT_FILTERS, severity: ['critical', 'warning'] });
    expect(a).toBe(b);
    expect(a).toBe('severity=critical%2Cwarning');
  });

  it('an empty status means any status; a missing one means the default', () => {
    expect(filtersFromSearch('status=').status).toEqual([]);
    expect(filtersFromSearch('q=x').status).toEqual(['open', 'acknowledged']);
    expect(filtersToSearch({ ...DEFAULT_FILTERS, status: [] })).toBe('status=');
  });

  it('drops values it does not know', () => {
    const f = filtersFromSearch('status=open,bogus&severity=loud&source=nagios&sort=loudness&order=sideways');
    expect(f.status).toEqual(['open']);
    expect(f.severity).toEqual([]);
    expect(f.source).toBe('');
    expect(f.sort).toBe('last_seen');
    expect(f.order).toBe('desc');
  });

  it('every column sorts on the server: text columns start A → Z, the same column flips', () => {
    expect(clickSort(DEFAULT_FILTERS, 'title')).toEqual({ sort: 'title', order: 'asc' });
    expect(clickSort({ sort: 'title', order: 'asc' }, 'title')).toEqual({ sort: 'title', order: 'desc' });
    expect(clickSort({ sort: 'title', order: 'asc' }, 'count')).toEqual({ sort: 'count', order: 'desc' });
    expect(clickSort(DEFAULT_FILTERS, 'last_seen')).toEqual({ sort: 'last_seen', order: 'asc' });
    for (const s of ['status', 'assignee', 'environment', 'project', 'source'] as const) {
      const f = filtersFromSearch(`sort=${s}&order=asc`);
      expect([f.sort, f.order]).toEqual([s, 'asc']);
      expect(filtersToQuery(f)).toMatchObject({ sort: s, order: 'asc' });
    }
  });

  it('the API query carries lists comma-separated and omits what is empty', () => {
    const q = filtersToQuery({ ...DEFAULT_FILTERS, severity: ['critical', 'error'], q: 'db' });
    expect(q).toEqual({ sort: 'last_seen', order: 'desc', status: 'open,acknowledged', severity: 'critical,error', q: 'db' });
    expect(filtersToQuery({ ...DEFAULT_FILTERS, status: [] }).status).toBeUndefined();
  });

  it('counts active filters, not the sort', () => {
    expect(activeFilterCount(DEFAULT_FILTERS)).toBe(0);
    expect(activeFilterCount({ ...DEFAULT_FILTERS, sort: 'count' })).toBe(0);
    expect(activeFilterCount({ ...DEFAULT_FILTERS, q: 'x', project: 'p', status: [] })).toBe(3);
  });

  it('relative ranges are times before now', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(sinceFor('1h', now)).toBe('2026-12-01T11:00:00.000Z');
    expect(sinceFor('7d', now)).toBe('2026-11-24T12:00:00.000Z');
  });
});

describe('a live group against the view', () => {
  const g = {
    status: 'open', severity: 'critical', source: 'sentry', environment: 'production', project: 'api', assignee: null,
    title: 'Timeout calling payments', message: 'upstream took 30s', last_seen: '2026-12-01T10:00:00.000Z',
  };
  it('matches every filter the server applies', () => {
    expect(matchesFilters(g, DEFAULT_FILTERS)).toBe(true);
    expect(matchesFilters(g, { ...DEFAULT_FILTERS, status: ['resolved'] })).toBe(false);
    expect(matchesFilters(g, { ...DEFAULT_FILTERS, severity: ['warning'] })).toBe(false);
    expect(matchesFilters(g, { ...DEFAULT_FILTERS, source: 'grafana' })).toBe(false);
    expect(matchesFilters(g, { ...DEFAULT_FILTERS, environment: 'staging' })).toBe(false);
    expect(matchesFilters(g, { ...DEFAULT_FILTERS, project: 'api' })).toBe(true);
    expect(matchesFilters(g, { ...DEFAULT_FILTERS, assignee: 'none' })).toBe(true);
    expect(matchesFilters(g, { ...DEFAULT_FILTERS, assignee: 'ana@example.com' })).toBe(false);
    expect(matchesFilters(g, { ...DEFAULT_FILTERS, q: 'PAYMENTS' })).toBe(true);
    expect(matchesFilters(g, { ...DEFAULT_FILTERS, q: '30s' })).toBe(true);
    expect(matchesFilters(g, { ...DEFAULT_FILTERS, q: 'disk' })).toBe(false);
    expect(matchesFilters(g, { ...DEFAULT_FILTERS, since: '2026-12-01T11:00:00.000Z' })).toBe(false);
    expect(matchesFilters(g, { ...DEFAULT_FILTERS, until: '2026-12-01T10:00:00.000Z' })).toBe(false);
  });
});
