/** Intake (/api/intake/…): the report behind a case, with how often it was reported again (重复举报). */
import type { Api } from './client'

export interface Report {
  issue_id: string
  source_label: string
  channel_label: string | null
  title: string
  description: string
  township: string
  domain_label: string
  location: { address?: string | null; lat?: number | null; lon?: number | null } | null
  batch: string | null
  external_ref: string | null
  attachments: unknown[]
  repeat_reports: number
  reported_at: string
}

export async function getReport(api: Api, id: string): Promise<Report> {
  return (await api.get<Report>('intake', `/v1/reports/${encodeURIComponent(id)}`)).data
}

/** The two inspection sources a 交办表 comes from (the batch upload's `source`). */
export type BatchSource = 'central_inspection' | 'provincial_inspection'

export interface AcceptedRow {
  row: number
  batch: string
  serial: string
  issue_id: string
  /** accepted: a new issue; linked: 重复举报 joined to an open issue; already_received: this row came before. */
  status: 'accepted' | 'linked' | 'already_received'
  message: string
  version: number | null
}

export interface RefusedRow {
  row: number
  batch: string | null
  serial: string | null
  reasons: string[]
}

/** 导入结果, as services/intake/schemas.py BatchReport answers it. */
export interface BatchReport {
  upload_id: string
  file_name: string
  file_sha256: string
  source: BatchSource
  uploaded_at: string
  rows: number
  accepted_count: number
  refused_count: number
  created_count: number
  accepted: AcceptedRow[]
  refused: RefusedRow[]
}

/** 交办表导入: POST /v1/batches, multipart with the .xlsx or .csv file and its source. */
export function uploadBatch(api: Api, file: File, source: BatchSource): Promise<BatchReport> {
  const form = new FormData()
  form.append('source', source)
  form.append('file', file, file.name)
  return api.upload<BatchReport>('intake', '/v1/batches', form)
}

/** A past upload's report, by its upload id. */
export async function getBatchReport(api: Api, uploadId: string): Promise<BatchReport> {
  return (await api.get<BatchReport>('intake', `/v1/batches/${encodeURIComponent(uploadId)}`)).data
}
