/** What the 督察办's document forms become as accountability's request bodies (schemas.py: WorkMeetingIn, …). */
import type { BulletinBody, BulletinDraft, MeetingBody, RoundBody, SummonsBody } from '../api/documents'
import { idList, present } from './text'

/** Lines typed in one box: each line trimmed, the blank ones left out. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

/** Units typed in one box: one per line or separated by 、 and commas, each once. */
export function unitList(text: string): string[] {
  return [...new Set(text.split(/[\n,，、;；]+/).map((u) => u.trim()).filter((u) => u !== ''))]
}

export interface MeetingForm {
  kind: string
  heldOn: string
  title: string
  decisions: string
  caseIds: string
}

export function emptyMeetingForm(): MeetingForm {
  return { kind: '', heldOn: '', title: '', decisions: '', caseIds: '' }
}

export function meetingBody(f: MeetingForm): MeetingBody {
  return { kind: f.kind, held_on: f.heldOn, title: f.title, decisions: lines(f.decisions), case_ids: idList(f.caseIds) }
}

export interface SummonsForm {
  heldOn: string
  units: string
  caseIds: string
  host: string
  note: string
}

export function emptySummonsForm(): SummonsForm {
  return { heldOn: '', units: '', caseIds: '', host: '', note: '' }
}

export function summonsBody(f: SummonsForm): SummonsBody {
  return {
    held_on: f.heldOn,
    units: unitList(f.units),
    case_ids: idList(f.caseIds),
    host: f.host,
    ...present('note', f.note),
  }
}

export interface RoundForm {
  name: string
  members: string
  lead: string
  from: string
  to: string
}

export function emptyRoundForm(): RoundForm {
  return { name: '', members: '', lead: '', from: '', to: '' }
}

export function roundBody(f: RoundForm): RoundBody {
  return { name: f.name, member_units: unitList(f.members), lead_unit: f.lead.trim(), period_from: f.from, period_to: f.to }
}

export interface BulletinForm {
  title: string
  from: string
  to: string
  text: string
}

export function emptyBulletinForm(): BulletinForm {
  return { title: '', from: '', to: '', text: '' }
}

/** The bulletin as issued: the draft's figures as projections gave them, the title and the text as edited. */
export function bulletinBody(f: BulletinForm, draft: BulletinDraft): BulletinBody {
  return {
    title: f.title,
    period_from: f.from,
    period_to: f.to,
    overdue: draft.overdue,
    units: draft.units,
    text: f.text,
  }
}
