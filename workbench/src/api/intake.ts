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
