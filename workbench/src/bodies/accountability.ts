/** What the 问责 form becomes as accountability's request body (MeasureIn). */
import type { MeasureBody } from '../api/accountability'
import { PERSON_MEASURES } from '../codes'
import { idList } from './text'

export interface MeasureForm {
  measure: string
  targetKind: 'unit' | 'person'
  unit: string
  name: string
  post: string
  reason: string
  caseIds: string
}

export function emptyMeasureForm(): MeasureForm {
  return { measure: '', targetKind: 'person', unit: '', name: '', post: '', reason: '', caseIds: '' }
}

/** Whether the kind of measure is one on a person (批评教育, 书面检查, 诫勉谈话, 约谈提醒, 提醒谈话). */
export function onPerson(measure: string): boolean {
  return PERSON_MEASURES.includes(measure)
}

export function measureBody(f: MeasureForm): MeasureBody {
  const kind = onPerson(f.measure) ? 'person' : f.targetKind
  return {
    target: kind === 'person' ? { kind, unit: f.unit, name: f.name, post: f.post } : { kind, unit: f.unit },
    measure: f.measure,
    reason: f.reason,
    case_ids: idList(f.caseIds),
  }
}
