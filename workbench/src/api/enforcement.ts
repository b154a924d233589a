/**
 * Enforcement (环境执法, /api/enforcement/…): enforcement cases, their history and the commands on them.
 * Types follow services/enforcement/schemas.py. Money comes twice: yuan as an exact decimal string and integer fen;
 * requests send yuan as a string (the API reads JSON numbers as exact decimals too, but a string cannot be rounded
 * by anyone on the way). Dates are "YYYY-MM-DD", moments ISO 8601 in +08:00.
 */
import type { Api } from './client'
import type { HistoryEntry } from './cases'

export interface Enterprise {
  name: string
  credit_code: string
  address: string
}

export interface Totals {
  penalty_total: string
  penalty_total_fen: number
  paid_total: string
  paid_total_fen: number
  outstanding_total: string
  outstanding_total_fen: number
  daily_penalty_rounds: number
  detained_persons: number
  criminal_measure_persons: number
  referred_persons: number
}

export type PenaltyBasis = 'fine' | 'daily_continuous'

export interface Penalty {
  penalty_id: string
  basis: PenaltyBasis
  basis_label: string
  decision_no: string
  amount: string
  amount_fen: number
  paid: string
  paid_fen: number
  outstanding: string
  outstanding_fen: number
  due_date: string | null
  overdue: boolean
  period_start: string | null
  period_end: string | null
  days: number | null
  daily_amount: string | null
  daily_amount_fen: number | null
  order_id: string | null
  original_penalty_id: string | null
}

export interface Reinspection {
  inspected_on: string
  complied: boolean
  result_label: string
  note: string | null
}

export interface Order {
  order_id: string
  requirements: string
  served_on: string
  deadline: string
  status: 'complied' | 'pending'
  status_label: string
  reinspections: Reinspection[]
}

export interface Person {
  name: string
}

export interface Detention {
  persons: { name: string; days: number }[]
  police_unit: string
}

export interface EnforcementCase {
  case_id: string
  status: 'open' | 'closed'
  status_label: string
  enterprise: Enterprise
  violation: string
  legal_basis: string
  officer: string
  issue_id: string | null
  rectification_case: { issue_id: string; status: string | null; status_label: string; as_of: string | null } | null
  opened_at: string
  opened_by: string
  closed_at: string | null
  outcome: string | null
  penalties: Penalty[]
  rectification_orders: Order[]
  production_stopped_on: string | null
  detentions: Detention[]
  criminal_measures: { persons: Person[]; measure: string; police_unit: string }[]
  referrals: { persons: Person[]; procuratorate: string }[]
  totals: Totals
  version: number
}

export interface CaseSummary {
  case_id: string
  enterprise_name: string
  credit_code: string
  status: 'open' | 'closed'
  status_label: string
  issue_id: string | null
  rectification_status: string | null
  opened_at: string
  closed_at: string | null
  totals: Totals
  version: number
}

export interface CaseList {
  items: CaseSummary[]
  total: number
  limit: number
  offset: number
}

export interface EnterpriseRecord {
  credit_code: string
  enterprise_name: string | null
  case_count: number
  open_case_count: number
  repeat_offender: boolean
  totals: Totals
  cases: CaseSummary[]
}

export interface EventOut {
  version: number
  type: string
  label: string
  occurred_at: string
  actor: string
  correlation_id: string
  payload: Record<string, unknown>
}

export interface CommandResult {
  case_id: string
  version: number
  message: string
  events: EventOut[]
}

// Request bodies (schemas.py's *In models; extra fields are refused there).

export interface CaseBody {
  enterprise: Enterprise
  violation: string
  legal_basis: string
  officer: string
  issue_id?: string
}

export interface PenaltyBody {
  amount: string
  decision_no: string
  due_date: string
}

export interface PaymentBody {
  penalty_id: string
  amount: string
  paid_on: string
}

export interface OrderBody {
  requirements: string
  served_on: string
  deadline: string
}

export interface ReinspectionBody {
  order_id: string
  inspected_on: string
  complied: boolean
  note?: string
  decision_no?: string
  due_date?: string
}

export interface ProductionStopBody {
  ordered_on: string
  note?: string
}

export interface DetentionBody {
  persons: { name: string; days: number }[]
  police_unit: string
}

export interface CriminalMeasuresBody {
  persons: Person[]
  measure: string
  police_unit: string
}

export interface ReferralBody {
  persons: Person[]
  procuratorate: string
}

export interface CloseBody {
  outcome: string
}

/** Each command on an existing case: its path under the case, and its body. */
export interface Commands {
  penalties: PenaltyBody
  payments: PaymentBody
  'rectification-orders': OrderBody
  reinspections: ReinspectionBody
  'production-stops': ProductionStopBody
  detentions: DetentionBody
  'criminal-measures': CriminalMeasuresBody
  referrals: ReferralBody
  close: CloseBody
}

export interface CaseQuery {
  enterprise?: string
  year?: number
  status?: 'open' | 'closed'
  limit?: number
  offset?: number
}

const CASES = '/v1/enforcement-cases'

function casePath(id: string): string {
  return `${CASES}/${encodeURIComponent(id)}`
}

export async function listCases(api: Api, query: CaseQuery): Promise<CaseList> {
  return (await api.get<CaseList>('enforcement', CASES, { ...query })).data
}

export async function getCase(api: Api, id: string): Promise<EnforcementCase> {
  return (await api.get<EnforcementCase>('enforcement', casePath(id))).data
}

/** The case's audit trail in the shape the shared history component shows (the payload as its data). */
export async function getHistory(api: Api, id: string): Promise<HistoryEntry[]> {
  const answer = await api.get<{ events: EventOut[] }>('enforcement', `${casePath(id)}/history`)
  return answer.data.events.map((e) => ({ ...e, data: e.payload }))
}

export async function enterpriseRecord(api: Api, creditCode: string): Promise<EnterpriseRecord> {
  const path = `${CASES}/by-enterprise/${encodeURIComponent(creditCode)}`
  return (await api.get<EnterpriseRecord>('enforcement', path)).data
}

/** 立案: a new case, so there is no version to match yet. */
export function openCase(api: Api, body: CaseBody): Promise<CommandResult> {
  return api.create<CommandResult>('enforcement', CASES, body)
}

/** A command on the case as the page showed it (`version`, sent as If-Match). */
export function send<C extends keyof Commands>(
  api: Api,
  id: string,
  command: C,
  body: Commands[C],
  version: number,
): Promise<CommandResult> {
  return api.command<CommandResult>('enforcement', `${casePath(id)}/${command}`, body, version)
}
