/**
 * 交办表导入's result as people read it: one line per row of the file, in the file's order, saying what became of it
 * (a new problem, a repeat joined to an open one, a row received before, or refused with intake's reasons in Chinese).
 * The uploads made in this browser are remembered (their ids only, in localStorage) so a report can be opened again.
 */
import type { BatchReport, BatchSource } from './api/intake'

export type RowOutcome = 'accepted' | 'duplicate' | 'already_received' | 'refused'

export const OUTCOME_LABELS: Record<RowOutcome, string> = {
  accepted: '已受理（新问题）',
  duplicate: '重复（并入已有问题）',
  already_received: '此前已导入',
  refused: '未导入',
}

export const SOURCE_LABELS: Record<BatchSource, string> = {
  central_inspection: '中央环保督察',
  provincial_inspection: '省级环保督察',
}

export interface RowResult {
  row: number
  batch: string
  serial: string
  outcome: RowOutcome
  label: string
  /** Intake's message for a received row, or its reasons for a refused one (joined with "；"). */
  detail: string
  issueId: string | null
}

/** Every row of the report, accepted and refused together, by row number. */
export function rowResults(report: BatchReport): RowResult[] {
  const received: RowResult[] = report.accepted.map((r) => {
    const outcome: RowOutcome = r.status === 'linked' ? 'duplicate' : r.status
    return {
      row: r.row,
      batch: r.batch,
      serial: r.serial,
      outcome,
      label: OUTCOME_LABELS[outcome],
      detail: r.message,
      issueId: r.issue_id,
    }
  })
  const refused: RowResult[] = report.refused.map((r) => ({
    row: r.row,
    batch: r.batch ?? '',
    serial: r.serial ?? '',
    outcome: 'refused',
    label: OUTCOME_LABELS.refused,
    detail: r.reasons.join('；'),
    issueId: null,
  }))
  return [...received, ...refused].sort((a, b) => a.row - b.row)
}

/** The counts above the table: "共 12 行：新问题 8，重复 1，此前已导入 1，未导入 2". */
export function summaryOf(report: BatchReport): string {
  const rows = rowResults(report)
  const count = (o: RowOutcome): number => rows.filter((r) => r.outcome === o).length
  return (
    `共 ${report.rows} 行：新问题 ${count('accepted')}，重复 ${count('duplicate')}，` +
    `此前已导入 ${count('already_received')}，未导入 ${count('refused')}`
  )
}

export interface RecentUpload {
  upload_id: string
  file_name: string
  uploaded_at: string
  summary: string
}

const RECENT_KEY = 'workbench.batchUploads'
const RECENT_MAX = 20

export function recentUploads(storage: Storage): RecentUpload[] {
  try {
    const saved: unknown = JSON.parse(storage.getItem(RECENT_KEY) ?? '[]')
    return Array.isArray(saved) ? (saved as RecentUpload[]).filter((u) => typeof u?.upload_id === 'string') : []
  } catch {
    return []
  }
}

/** Remembers a report (newest first, each upload once, the last 20). */
export function remember(storage: Storage, report: BatchReport): RecentUpload[] {
  const entry: RecentUpload = {
    upload_id: report.upload_id,
    file_name: report.file_name,
    uploaded_at: report.uploaded_at,
    summary: summaryOf(report),
  }
  const list = [entry, ...recentUploads(storage).filter((u) => u.upload_id !== report.upload_id)].slice(0, RECENT_MAX)
  storage.setItem(RECENT_KEY, JSON.stringify(list))
  return list
}
