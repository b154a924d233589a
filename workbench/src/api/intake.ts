/**
 * Intake (/api/intake/…): the report behind a case, with how often it was reported again (重复举报); 交办表 uploads;
 * hotline calls entered by the operator and the reporters' contacts they alone may read. Types follow
 * services/intake/schemas.py.
 */
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

/** What became of a report (ReceiptStatus): accepted, a new issue; linked, 重复举报 joined to an open issue;
 *  already_received, the same reference (row, call) came before and nothing new was made. */
export type ReceiptStatus = 'accepted' | 'linked' | 'already_received'

export interface AcceptedRow {
  row: number
  batch: string
  serial: string
  issue_id: string
  status: ReceiptStatus
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

// 受理员 (operator): hotline calls entered with the call's reference, and the reporters' contacts on request.

/** A call taken on 12369 or the county hotline (HotlineCallIn); location and caller are optional. */
export interface HotlineCallBody {
  line: 'hotline_12369' | 'county_hotline'
  call_ref: string
  title: string
  description: string
  township: string
  domain: string
  location?: { address?: string; lat?: number; lon?: number }
  caller?: { name?: string; phone?: string }
}

/** 回执 (ReportAccepted): `issue_id` is the reference to quote, for a repeat report the existing issue's. */
export interface ReportAccepted {
  issue_id: string
  report_id: string
  status: ReceiptStatus
  duplicate_rule: 'same_external_ref' | 'same_place' | null
  distance_m: number | null
  message: string
}

export interface Contact {
  report_id: string
  channel: string
  received_at: string
  name: string | null
  phone: string | null
  /** The title, description or address as written, where phone or ID numbers were masked in the report. */
  original_text: Record<string, string> | null
  /** 依申请删除: name, phone and text are gone for good; `erased_notice` says so (已依申请删除). */
  erased?: boolean
  erased_at?: string | null
  erased_notice?: string | null
}

export interface Contacts {
  issue_id: string
  contacts: Contact[]
  notice: string
}

/** 查阅记录: who read the issue's reporter contacts, in which role, from which address, and when. */
export interface ContactRead {
  actor: string
  role?: string
  address?: string
  read_at: string
  report_ids: string[]
}

/** A new report of the call, or a link to the issue already open for it: nothing to match, so no If-Match. */
export function enterHotlineCall(api: Api, body: HotlineCallBody): Promise<ReportAccepted> {
  return api.create<ReportAccepted>('intake', '/v1/hotline-calls', body)
}

/** The reporters' contacts of the issue. Every call is recorded by intake as a read, with who and when. */
export async function readContacts(api: Api, id: string): Promise<Contacts> {
  return (await api.get<Contacts>('intake', `/v1/reports/${encodeURIComponent(id)}/contacts`)).data
}

export async function contactReads(api: Api, id: string): Promise<ContactRead[]> {
  return (await api.get<ContactRead[]>('intake', `/v1/reports/${encodeURIComponent(id)}/contact-reads`)).data
}
