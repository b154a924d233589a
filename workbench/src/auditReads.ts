/**
 * 查阅留痕's filters as `GET /v1/audit/reads` takes them: the person, the kind of resource and the issue as typed
 * (blank ones left out), and the days picked as a period of 北京时间 days, `from` the first day's start and `to` the
 * start of the day after the last (the API's `to` is exclusive). Pure, tested.
 */
import type { Query } from './api/client'

export interface ReadsFilters {
  person: string
  resource: '' | 'contact' | 'ledger' | 'timeline'
  resourceId: string
  /** "2026-07-01", as the date pickers give them; '' for none. */
  fromDay: string
  toDay: string
}

export const RESOURCE_LABELS: Record<Exclude<ReadsFilters['resource'], ''>, string> = {
  contact: '举报人信息',
  ledger: '整改台账',
  timeline: '案件时间线',
}

export function dayAfter(day: string): string {
  const next = new Date(`${day}T00:00:00Z`)
  next.setUTCDate(next.getUTCDate() + 1)
  return next.toISOString().slice(0, 10)
}

export function readsQuery(filters: ReadsFilters, page: number, pageSize: number): Query {
  return {
    person: filters.person.trim() || undefined,
    resource: filters.resource || undefined,
    resource_id: filters.resourceId.trim() || undefined,
    from: filters.fromDay ? `${filters.fromDay}T00:00:00+08:00` : undefined,
    to: filters.toDay ? `${dayAfter(filters.toDay)}T00:00:00+08:00` : undefined,
    limit: pageSize,
    offset: (page - 1) * pageSize,
  }
}
