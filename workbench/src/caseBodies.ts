/**
 * The request bodies of 督察办's commands (交办, 督办, 延期, 回头看), from what was typed into their forms: the
 * deadline as the API names it (deadline.ts), optional text left out when empty, everything else as typed (the
 * service checks it and answers 422 on the field).
 */
import type { AssignBody, ExtendBody, ReopenBody, SuperviseBody } from './api/cases'
import { deadlineFields, type DeadlineChoice } from './deadline'

function given(text: string): string | undefined {
  return text.trim() === '' ? undefined : text
}

export interface AssignForm {
  problem: string
  task: string
  unit: string
  leaderName: string
  leaderPost: string
  /** 联络渠道: optional; an office or liaison, never a phone number (the service refuses one, naming the field). */
  leaderLiaison: string
  deadline: DeadlineChoice
  measures: string
  reason: string
}

/** 交办 with the 五定; `reassign` (the case is assigned already) sends the reason, if one was typed; the leader's
 * 联络渠道 only if one was typed (a draft saved before the field existed has none). */
export function assignBody(form: AssignForm, reassign: boolean): AssignBody {
  const liaison = given(form.leaderLiaison ?? '')
  return {
    problem: form.problem,
    task: form.task,
    unit: form.unit,
    leader: {
      name: form.leaderName,
      post: form.leaderPost,
      ...(liaison === undefined ? {} : { liaison: liaison.trim() }),
    },
    ...deadlineFields(form.deadline, 'deadline'),
    measures: form.measures,
    ...(reassign && given(form.reason) !== undefined ? { reason: form.reason } : {}),
  }
}

export interface SuperviseForm {
  note: string
  letterNo: string
  deadline: DeadlineChoice
}

export function superviseBody(form: SuperviseForm): SuperviseBody {
  const letter = given(form.letterNo)
  return {
    note: form.note,
    ...(letter === undefined ? {} : { letter_no: letter.trim() }),
    ...deadlineFields(form.deadline, 'new_deadline'),
  }
}

export interface ExtendForm {
  deadline: DeadlineChoice
  reason: string
  approvedBy: string
}

export function extendBody(form: ExtendForm): ExtendBody {
  return { ...deadlineFields(form.deadline, 'new_deadline'), reason: form.reason, approved_by: form.approvedBy }
}

export interface ReopenForm {
  reason: string
  deadline: DeadlineChoice
}

export function reopenBody(form: ReopenForm): ReopenBody {
  return { reason: form.reason, ...deadlineFields(form.deadline, 'new_deadline') }
}
