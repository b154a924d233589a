/**
 * 销号工作规程 on a case's page: which step its status waits for and who takes it (the cases service's rules,
 * services/cases/domain.py: 督察办 starts and completes the 公示, asks for 复核, closes and files; the county leader
 * signs off). Pure, so that each page shows the one action its role may take now.
 */
import type { Case, CaseStatus, StepCommand } from './api/cases'
import type { Role } from './auth/identity'

export interface StepAction {
  command: StepCommand
  role: Role
  title: string // the card's and the button's words
  done: string // the message once it is taken
  field: 'summary' | 'opinion' | 'note'
  fieldLabel: string
  required: boolean
}

const ACTIONS: Partial<Record<CaseStatus, StepAction>> = {
  awaiting_notice: {
    command: 'start-notice',
    role: 'inspection_office',
    title: '发布公示',
    done: '已发布公示',
    field: 'summary',
    fieldLabel: '公示内容（问题及整改结果摘要，不含举报人信息）',
    required: true,
  },
  in_notice: {
    command: 'complete-notice',
    role: 'inspection_office',
    title: '公示期满无异议',
    done: '已确认公示期满',
    field: 'note',
    fieldLabel: '说明',
    required: false,
  },
  awaiting_signoff: {
    command: 'sign-off',
    role: 'leader',
    title: '审签',
    done: '已审签',
    field: 'opinion',
    fieldLabel: '审签意见',
    required: false,
  },
  awaiting_closure: {
    command: 'close',
    role: 'inspection_office',
    title: '销号',
    done: '已销号',
    field: 'note',
    fieldLabel: '销号意见',
    required: false,
  },
}

const REQUEST_REVIEW: StepAction = {
  command: 'request-review',
  role: 'inspection_office',
  title: '提请上级复核',
  done: '已提请上级复核，等待省级复核结果',
  field: 'note',
  fieldLabel: '提请说明',
  required: false,
}

const FILE_CLOSURE: StepAction = {
  command: 'file-closure',
  role: 'inspection_office',
  title: '销号报备',
  done: '已报备上级',
  field: 'note',
  fieldLabel: '报备说明',
  required: false,
}

/** The step the case waits for now, or null (none, or only the province's 复核 result). */
export function nextStep(item: Pick<Case, 'status' | 'procedure' | 'filed'>): StepAction | null {
  if (item.status === 'awaiting_review') return item.procedure?.review_requested ? null : REQUEST_REVIEW
  if (item.status === 'closed') return item.filed ? null : FILE_CLOSURE
  return ACTIONS[item.status] ?? null
}

/** The step `roles` may take on the case now, or null. */
export function stepFor(item: Pick<Case, 'status' | 'procedure' | 'filed'>, roles: Role[]): StepAction | null {
  const step = nextStep(item)
  return step !== null && roles.includes(step.role) ? step : null
}

/** The body the step's command sends: its one text field, left out when empty. */
export function stepBody(step: StepAction, text: string): Record<string, string> {
  return text.trim() === '' ? {} : { [step.field]: text }
}
