/**
 * The documents of the supervision (督查文书): meetings on the work, collective summons meetings, joint inspection
 * rounds and supervision bulletins on accountability (/api/accountability/…), each a new stream, so no If-Match; a
 * bulletin's draft and the lists from projections (/api/projections/…). Types follow the services' schemas.py.
 */
import type { Api } from './client'

export interface DocumentEvent {
  type: string
  label: string
  version: number
  occurred_at: string
  actor: string
  payload: Record<string, unknown>
}

/** DocumentOut: the stream and the events the command appended (or the whole stream, when read). */
export interface DocumentOut {
  stream_id: string
  version: number
  events: DocumentEvent[]
}

export interface MeetingBody {
  kind: string
  held_on: string
  title: string
  decisions: string[]
  case_ids: string[]
}

export interface SummonsBody {
  held_on: string
  units: string[]
  case_ids: string[]
  host: string
  note?: string
}

export interface RoundBody {
  name: string
  member_units: string[]
  lead_unit: string
  period_from: string
  period_to: string
}

export interface OverdueItem {
  issue_id: string
  title: string
  unit: string | null
  deadline: string | null
  days_overdue: number
}

export interface UnitStanding {
  unit: string
  total: number
  closed: number
  overdue: number
  rate_percent: string
}

export interface BulletinBody {
  title: string
  period_from: string
  period_to: string
  overdue: OverdueItem[]
  units: UnitStanding[]
  text: string
}

export interface BulletinDraft {
  period_from: string
  period_to: string
  as_of: string
  overdue: OverdueItem[]
  units: UnitStanding[]
  text: string
}

export function recordMeeting(api: Api, body: MeetingBody): Promise<DocumentOut> {
  return api.create<DocumentOut>('accountability', '/v1/meetings', body)
}

export function holdSummonsMeeting(api: Api, body: SummonsBody): Promise<DocumentOut> {
  return api.create<DocumentOut>('accountability', '/v1/summons-meetings', body)
}

export function openRound(api: Api, body: RoundBody): Promise<DocumentOut> {
  return api.create<DocumentOut>('accountability', '/v1/rounds', body)
}

/** 督查发现: the issue reported through intake for it, added to an open round (no version: findings only add). */
export function recordFinding(api: Api, roundId: string, issueId: string, note: string): Promise<DocumentOut> {
  const path = `/v1/rounds/${encodeURIComponent(roundId)}/findings`
  return api.create<DocumentOut>('accountability', path, { issue_id: issueId, note })
}

export async function bulletinDraft(api: Api, from: string, to: string): Promise<BulletinDraft> {
  return (await api.get<BulletinDraft>('projections', '/v1/documents/bulletin-draft', { from, to })).data
}

export function issueBulletin(api: Api, body: BulletinBody): Promise<DocumentOut> {
  return api.create<DocumentOut>('accountability', '/v1/bulletins', body)
}

/** An issued bulletin as projections lists it (DocumentItem): BulletinIssued's content. */
export interface IssuedBulletin {
  event_id: string
  occurred_at: string
  content: { year: number; number: number; bulletin_no: string; title: string; period_from: string; period_to: string }
}

export interface IssuedBulletins {
  total: number
  items: IssuedBulletin[]
}

/** The year's issued bulletins (督查通报), 第1期 first. */
export async function issuedBulletins(api: Api, year: number): Promise<IssuedBulletins> {
  return (await api.get<IssuedBulletins>('projections', '/v1/documents/bulletins', { year: String(year) })).data
}

/** 督查通报 第N期 as the Word document projections writes from what was issued, read with the session's token. */
export function bulletinDocument(api: Api, year: number, number: number): Promise<Blob> {
  return api.file('projections', `/v1/documents/bulletins/${year}/${number}.docx`)
}

/** The file name the browser saves a bulletin under (the service's own, filename*, is the same). */
export function bulletinDocumentName(year: number, number: number): string {
  return `督查通报-${year}年第${number}期.docx`
}
