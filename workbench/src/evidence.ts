/**
 * Evidence files (佐证材料) and progress photos: uploaded to the cases service first (it cleans photos of their
 * EXIF/GPS and names each file by the SHA-256 of what it stored), then named by that hash in a 进展反馈 or 申请销号,
 * which the service accepts only for files uploaded to the same case.
 */
import type { Api } from './api/client'
import type { Evidence } from './api/cases'

export interface StoredFile {
  sha256: string
  file_name: string
  content_type: string
  size: number
  uploaded_by: string
  uploaded_at: string
}

export const PHOTO_TYPES = 'image/jpeg,image/png,image/webp,image/heic,.heic'
export const EVIDENCE_TYPES = `${PHOTO_TYPES},application/pdf`

function evidencePath(caseId: string): string {
  return `/v1/cases/${encodeURIComponent(caseId)}/evidence`
}

/** Uploads one file to the case; the same bytes twice give the same stored file. */
export async function uploadEvidence(api: Api, caseId: string, file: File): Promise<StoredFile> {
  const form = new FormData()
  form.append('file', file, file.name)
  return api.upload<StoredFile>('cases', evidencePath(caseId), form)
}

/** The item a command names: the stored file's hash and name, with what it shows. */
export function named(stored: StoredFile, description = ''): Evidence {
  return { description, file_name: stored.file_name, sha256: stored.sha256 }
}

/** A stored file's bytes (with the session's token), to show as an object URL. */
export function fetchEvidence(api: Api, caseId: string, sha256: string): Promise<Blob> {
  return api.file('cases', `${evidencePath(caseId)}/${encodeURIComponent(sha256)}`)
}

export function isPhoto(blob: Blob): boolean {
  return blob.type.startsWith('image/')
}

/** The field paths a 422 may name for a form's list of files (`evidence.3.sha256`), so the form shows them itself. */
export function itemFields(field: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => ['description', 'file_name', 'sha256'].map((f) => `${field}.${i}.${f}`)).flat()
}
