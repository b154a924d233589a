/**
 * Accountability (问责, /api/accountability/…): measures imposed on units and officials, revoked, listed with their
 * tally, and a unit's record of escalations and measures. Types follow services/accountability/schemas.py.
 */
import type { Api } from './client'

export interface Target {
  kind: 'unit' | 'person'
  kind_label: string
  unit: string
  name: string | null
  post: string | null
}

export interface Measure {
  measure_id: string
  measure: string
  measure_label: string
  target: Target
  reason: string
  case_ids: string[]
  imposed_by: string
  imposed_at: string
  status: 'active' | 'revoked'
  status_label: string
  revoked_at: string | null
  revoked_by: string | null
  revoke_reason: string | null
}

export interface MeasureList {
  items: Measure[]
  total: number
  limit: number
  offset: number
  tally: { measure: string; label: string; count: number }[]
}

export interface MeasureQuery {
  year?: number
  measure?: string
  unit?: string
  limit?: number
  offset?: number
}

export interface RecordEntry {
  event_id: string
  type: string
  label: string
  at: string
  by: string
  case_ids: string[]
  level: number | null
  summons_date: string | null
  triggers: { event_id: string; type: string | null; label: string | null }[] | null
  measure_id: string | null
  measure: string | null
  target: Target | null
  reason: string | null
  status_label: string | null
}

export interface UnitRecord {
  unit: string
  ladders: { case_id: string; level: number; steps: number; last_step_at: string }[]
  entries: RecordEntry[]
}

/** MeasureIn: a person measure names the person (name, post) and their unit; a unit measure the unit alone. */
export interface MeasureBody {
  target: { kind: 'unit' | 'person'; unit: string; name?: string; post?: string }
  measure: string
  reason: string
  case_ids: string[]
}

const MEASURES = '/v1/measures'

export async function listMeasures(api: Api, query: MeasureQuery): Promise<MeasureList> {
  return (await api.get<MeasureList>('accountability', MEASURES, { ...query })).data
}

export function imposeMeasure(api: Api, body: MeasureBody): Promise<Measure> {
  return api.create<Measure>('accountability', MEASURES, body)
}

/**
 * The version of a measure's stream as the list shows it. The API's answers carry no version, but the stream is
 * short and fixed (services/accountability/domain/measures.py): MeasureImposed (1), then at most MeasureRevoked (2).
 */
export function measureVersion(measure: Measure): number {
  return measure.status === 'revoked' ? 2 : 1
}

/** 撤销 on the measure as the page showed it: a measure revoked in between is a 409. */
export function revokeMeasure(api: Api, measure: Measure, reason: string): Promise<Measure> {
  const path = `${MEASURES}/${encodeURIComponent(measure.measure_id)}/revoke`
  return api.command<Measure>('accountability', path, { reason }, measureVersion(measure))
}

export async function unitRecord(api: Api, unit: string): Promise<UnitRecord> {
  return (await api.get<UnitRecord>('accountability', `/v1/units/${encodeURIComponent(unit)}/record`)).data
}
