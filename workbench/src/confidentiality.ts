/**
 * 信息公开 on a case's page: whether the person may withhold the case from the public page (不予公开) or publish it
 * again (恢复公开), as the cases service decides (services/cases/domain.py): the responsible unit withholds its own
 * case, 督察办 withholds any case or publishes a withheld one again; the unit never publishes again. Pure.
 */
import type { Case, ConfidentialityBody } from './api/cases'
import type { Person } from './auth/identity'

export interface ConfidentialityAction {
  confidential: boolean // what the command sets
  title: string // the card's button
  done: string // the message once it is taken
}

const WITHHOLD: ConfidentialityAction = { confidential: true, title: '不予公开', done: '已设为不予公开，信息公开页面不再列出该案件' }
const PUBLISH: ConfidentialityAction = { confidential: false, title: '恢复公开', done: '已恢复公开' }

type Shown = Pick<Case, 'confidential' | 'assignment'>

export function confidentialityAction(item: Shown, person: Person): ConfidentialityAction | null {
  if (person.roles.includes('inspection_office')) return item.confidential ? PUBLISH : WITHHOLD
  const own = person.roles.includes('unit') && item.assignment !== null && item.assignment.unit === person.unit
  return own && !item.confidential ? WITHHOLD : null
}

export function confidentialityBody(action: ConfidentialityAction, reason: string): ConfidentialityBody {
  return { confidential: action.confidential, reason }
}
