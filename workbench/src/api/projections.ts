/** Projections (/api/projections/…): the overdue list (超期清单), and the units and townships cases have. */
import type { Api } from './client'

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
