/**
 * The cases service (整改案件, /api/cases/…): the case as people read it, its history, and the commands of the loop.
 * Types follow services/cases/schemas.py (its /openapi.json); moments are ISO 8601 strings in +08:00.
 */
import { previewOf, type DeadlinePreview } from '../deadline'
import type { Api } from './client'
import { ApiError } from './problems'

export type CaseStatus =
  | 'reported'
  | 'assigned'
  | 'closure_requested'
  | 'awaiting_notice'
  | 'in_notice'
  | 'awaiting_signoff'
  | 'awaiting_review'
  | 'awaiting_closure'
  | 'closed'

// In the order a case goes: after 待验收, the closure procedure's (销号工作规程) steps its source takes, then 销号.
export const STATUS_LABELS: Record<CaseStatus, string> = {
  reported: '待交办',
  assigned: '整改中',
  closure_requested: '待验收',
  awaiting_notice: '待公示',
  in_notice: '公示中',
  awaiting_signoff: '待审签',
  awaiting_review: '待复核',
  awaiting_closure: '待销号',
  closed: '已销号',
}

/** 销号程序: the steps fixed at 验收, which are done, and the 公示 and 复核 as far as they went. */
export interface Procedure {
  steps: { step: 'notice' | 'signoff' | 'review'; label: string; done: boolean }[]
  notice_starts: string | null
  notice_ends: string | null
  notice_summary: string | null
  signed_off_by: string | null
  review_requested: boolean
}

export interface Leader {
  name: string
  post: string
}

/** 包案领导 as 交办 names the leader: with 联络渠道 (the office or liaison the unit goes through; never a phone
 * number), null when none was given and in every 交办 recorded before the field existed (schema version 1). */
export interface AssignedLeader extends Leader {
  liaison: string | null
}

export interface Evidence {
  description: string
  file_name: string
  sha256: string
}

export interface CaseSummary {
  case_id: string
  title: string
  status: CaseStatus
  status_label: string
  township: string
  domain_label: string
  unit: string | null
  leader: Leader | null
  deadline: string | null
  overdue: boolean
  times_missed: number
  version: number
  reported_at: string
}

export interface CaseList {
  page: number
  page_size: number
  total: number
  items: CaseSummary[]
}

export interface Case {
  case_id: string
  version: number
  status: CaseStatus
  status_label: string
  source_label: string
  title: string
  township: string
  domain_label: string
  batch: string | null
  external_ref: string | null
  reported_at: string
  assignment: { problem: string; task: string; unit: string; leader: AssignedLeader; measures: string } | null
  deadline: string | null
  deadline_working_days: number | null
  overdue: boolean
  times_missed: number
  progress: { note: string; percent: number | null; photos: Evidence[] } | null
  closure_request: { summary: string; evidence: Evidence[] } | null
  verification: { passed: boolean; passed_label: string; verifier: string; note: string | null } | null
  procedure: Procedure | null
  objection: { objection_id: string; text: string; received_at: string } | null
  filed: boolean
  /** 不予公开: the public page (信息公开) does not list the case; the reason of the latest 不予公开 or 恢复公开. */
  confidential: boolean
  confidential_reason: string | null
  supervisions: number
  extensions: number
  reopenings: number
  updated_at: string
}

export interface HistoryEntry {
  version: number
  type: string
  label: string
  actor: string
  occurred_at: string
  data: Record<string, unknown>
}

export interface CommandOut {
  case_id: string
  version: number
  status: CaseStatus
  status_label: string
  events: string[]
}

/** 交办 with the 五定: the deadline either as a moment or as working days, never both. */
export interface AssignBody {
  problem: string
  task: string
  unit: string
  leader: Leader & { liaison?: string }
  deadline?: string
  deadline_working_days?: number
  measures: string
  reason?: string
}

export interface ProgressBody {
  note: string
  percent: number | null
}

export interface ClosureBody {
  summary: string
  evidence: Evidence[]
}

export interface VerifyBody {
  passed: boolean
  note?: string
  verifier?: string
}

/** 督办: the 督办函 (note, its number) and, optionally, an earlier deadline. */
export interface SuperviseBody {
  note: string
  letter_no?: string
  new_deadline?: string
  new_deadline_working_days?: number
}

/** 延期: a later deadline, why, and who approved it (批准人). */
export interface ExtendBody {
  new_deadline?: string
  new_deadline_working_days?: number
  reason: string
  approved_by: string
}

/** 回头看: a closed case opened again, why, with a new deadline. */
export interface ReopenBody {
  reason: string
  new_deadline?: string
  new_deadline_working_days?: number
}

// A type, not an interface, so that it is a `Query` (an index signature) as it is.
export type CaseQuery = {
  status?: CaseStatus
  unit?: string
  township?: string
  overdue?: boolean
  page?: number
  page_size?: number
}

export function listCases(api: Api, query: CaseQuery) {
  return api.get<CaseList>('cases', '/v1/cases', query).then((a) => a.data)
}

export async function getCase(api: Api, id: string): Promise<Case> {
  const answer = await api.get<Case>('cases', `/v1/cases/${encodeURIComponent(id)}`)
  return answer.data
}

export async function getHistory(api: Api, id: string): Promise<HistoryEntry[]> {
  const answer = await api.get<{ events: HistoryEntry[] }>('cases', `/v1/cases/${encodeURIComponent(id)}/history`)
  return answer.data.events
}

/**
 * The deadline `workingDays` working days from now, as the cases service counts them (GET /v1/calendar/deadline);
 * null while the service has no such route (404) or its answer holds no moment: the page then shows no date.
 */
export async function previewDeadline(api: Api, workingDays: number): Promise<DeadlinePreview | null> {
  try {
    const answer = await api.get<unknown>('cases', '/v1/calendar/deadline', { working_days: workingDays })
    return previewOf(answer.data)
  } catch (error) {
    if (error instanceof ApiError && error.problem.kind === 'not_found') return null
    throw error
  }
}

/** The closure procedure's commands (销号工作规程): 督察办's, and the leader's 审签; each body an optional note. */
export type StepCommand = 'start-notice' | 'complete-notice' | 'sign-off' | 'request-review' | 'close' | 'file-closure'

export interface StepBody {
  summary?: string // start-notice: 公示内容 (required there)
  opinion?: string // sign-off: 审签意见
  note?: string // request-review, close, file-closure
}

/** 不予公开 (confidential: true; the unit on its own case, or 督察办) or 恢复公开 (false; 督察办 only), with the reason. */
export interface ConfidentialityBody {
  confidential: boolean
  reason: string
}

type Command =
  | 'assign'
  | 'supervise'
  | 'extend'
  | 'reopen'
  | 'progress'
  | 'request-closure'
  | 'verify'
  | 'confidentiality'
  | StepCommand

export function send(api: Api, id: string, command: 'assign', body: AssignBody, version: number): Promise<CommandOut>
export function send(api: Api, id: string, command: 'supervise', body: SuperviseBody, version: number): Promise<CommandOut>
export function send(api: Api, id: string, command: 'extend', body: ExtendBody, version: number): Promise<CommandOut>
export function send(api: Api, id: string, command: 'reopen', body: ReopenBody, version: number): Promise<CommandOut>
export function send(api: Api, id: string, command: 'progress', body: ProgressBody, version: number): Promise<CommandOut>
export function send(
  api: Api,
  id: string,
  command: 'request-closure',
  body: ClosureBody,
  version: number,
): Promise<CommandOut>
export function send(api: Api, id: string, command: 'verify', body: VerifyBody, version: number): Promise<CommandOut>
export function send(api: Api, id: string, command: StepCommand, body: StepBody, version: number): Promise<CommandOut>
export function send(
  api: Api,
  id: string,
  command: 'confidentiality',
  body: ConfidentialityBody,
  version: number,
): Promise<CommandOut>
export function send(api: Api, id: string, command: Command, body: unknown, version: number): Promise<CommandOut> {
  return api.command<CommandOut>('cases', `/v1/cases/${encodeURIComponent(id)}/${command}`, body, version)
}
