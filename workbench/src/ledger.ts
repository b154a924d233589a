/**
 * 案件台账's filters, kept in the page's address (`#/cases?status=assigned&unit=…&page=2`) so that a filtered list
 * can be reloaded, sent back to with the browser's back button, or shared: read from the route's query, and written
 * back to it, with only what the cases API's GET /v1/cases takes (status, unit, township, overdue, page).
 */
import { STATUS_LABELS, type CaseQuery, type CaseStatus } from './api/cases'

export interface LedgerFilter {
  status: CaseStatus | ''
  unit: string
  township: string
  overdue: boolean
  page: number
}

type RouteQuery = Record<string, unknown>

function one(value: unknown): string {
  const first = Array.isArray(value) ? (value[0] as unknown) : value
  return typeof first === 'string' ? first.trim() : ''
}

function isStatus(value: string): value is CaseStatus {
  return Object.hasOwn(STATUS_LABELS, value)
}

export function ledgerFilter(query: RouteQuery): LedgerFilter {
  const status = one(query.status)
  const page = Number(one(query.page))
  return {
    status: isStatus(status) ? status : '',
    unit: one(query.unit).slice(0, 100),
    township: one(query.township).slice(0, 100),
    overdue: one(query.overdue) === 'true',
    page: Number.isInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1,
  }
}

/** The route query for a filter: empty filters left out, the first page unsaid. */
export function routeQuery(filter: LedgerFilter): Record<string, string> {
  const query: Record<string, string> = {}
  if (filter.status !== '') query.status = filter.status
  if (filter.unit !== '') query.unit = filter.unit
  if (filter.township !== '') query.township = filter.township
  if (filter.overdue) query.overdue = 'true'
  if (filter.page > 1) query.page = String(filter.page)
  return query
}

export function caseQuery(filter: LedgerFilter, pageSize: number): CaseQuery {
  return {
    status: filter.status === '' ? undefined : filter.status,
    unit: filter.unit === '' ? undefined : filter.unit,
    township: filter.township === '' ? undefined : filter.township,
    overdue: filter.overdue ? true : undefined,
    page: filter.page,
    page_size: pageSize,
  }
}
