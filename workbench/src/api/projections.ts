/** Projections (/api/projections/…): the overdue list (超期清单), and the units and townships cases have. */
import type { Api, Query } from './client'

export interface OverdueCase {
  issue_id: string
  title: string
  township: string
  domain_label: string
  source_label: string
  status_label: string
  unit: string | null
  leader: { name: string; post: string | null } | null
  deadline: string | null
  days_overdue: number | null
}

export interface OverdueList {
  total: number
  items: OverdueCase[]
}

export async function overdueCases(api: Api, limit = 200): Promise<OverdueList> {
  return (await api.get<OverdueList>('projections', '/v1/cases/overdue', { limit })).data
}

async function groupKeys(api: Api, groupBy: 'unit' | 'township'): Promise<string[]> {
  const answer = await api.get<{ rows: { key: string }[] }>('projections', '/v1/stats/closure-rates', {
    group_by: groupBy,
  })
  return answer.data.rows.map((r) => r.key).filter((k) => k !== '')
}

/** The units the county has assigned cases to (for the 交办 form's picker; a new unit can still be typed). */
export function knownUnits(api: Api): Promise<string[]> {
  return groupKeys(api, 'unit')
}

/** The townships cases were reported in (for the ledger's filter). */
export function knownTownships(api: Api): Promise<string[]> {
  return groupKeys(api, 'township')
}

/** 查阅留痕: one read that matters (a reporter's contact, the ledger, a case's timeline), for 纪委 alone. */
export interface AuditRead {
  event_id: string
  type: string
  label: string
  resource: 'contact' | 'ledger' | 'timeline'
  resource_id: string | null
  actor: string
  role: string
  role_label: string
  address: string
  at: string
  detail: Record<string, unknown>
}

export interface AuditReads {
  total: number
  limit: number
  offset: number
  items: AuditRead[]
}

export async function auditReads(api: Api, query: Query): Promise<AuditReads> {
  return (await api.get<AuditReads>('projections', '/v1/audit/reads', query)).data
}

/** 交办函: the case's current 五定 as a Word document (projections writes it), read with the session's token. */
export function assignmentLetter(api: Api, caseId: string): Promise<Blob> {
  return api.file('projections', `/v1/cases/${encodeURIComponent(caseId)}/assignment-letter.docx`)
}

/** The file name the browser saves a case's 交办函 under (the service's own, filename*, is the same). */
export function assignmentLetterName(caseId: string): string {
  return `交办函-${caseId}.docx`
}
