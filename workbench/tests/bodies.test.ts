import { describe, expect, it } from 'vitest'

import { emptyMeasureForm, measureBody } from '../src/bodies/accountability'
import {
  amountOf,
  caseBody,
  closeBody,
  criminalMeasuresBody,
  detentionBody,
  orderBody,
  paymentBody,
  penaltyBody,
  productionStopBody,
  referralBody,
  reinspectionBody,
} from '../src/bodies/enforcement'
import {
  bulletinBody,
  emptyBulletinForm,
  emptyMeetingForm,
  emptyRoundForm,
  emptySummonsForm,
  meetingBody,
  roundBody,
  summonsBody,
} from '../src/bodies/documents'
import { emptyHotlineForm, hotlineBody } from '../src/bodies/intake'
import { confidentialityAction, confidentialityBody } from '../src/confidentiality'
import { idList } from '../src/bodies/text'
import file from './request-bodies.json'

const noncompliance = { orderId: 'o-1', inspectedOn: '2024-03-05', complied: false, note: ' ', decisionNo: '县环按日罚〔2024〕1号', dueDate: '2024-04-05' }

/** Each form as a person fills it, by the name of the body it must become in request-bodies.json. */
const DRAFT = {
  period_from: '2026-03-01',
  period_to: '2026-03-31',
  as_of: '2026-04-01T00:00:00+08:00',
  overdue: [{ issue_id: 'c-1', title: '河道非法采砂', unit: '城关镇人民政府', deadline: '2026-03-10T10:00:00+08:00', days_overdue: 21 }],
  units: [{ unit: '城关镇人民政府', total: 4, closed: 1, overdue: 1, rate_percent: '25.0' }],
  text: '草稿正文',
}

const BUILT: Record<string, unknown> = {
  'standing committee meeting with two decisions': meetingBody({
    ...emptyMeetingForm(),
    kind: 'standing_committee',
    heldOn: '2026-01-08',
    title: '县委常委会专题研究环保督察整改工作',
    decisions: '成立六个专项整治组\n\n  建立县级领导包案制度 ',
    caseIds: 'c-1',
  }),
  'collective summons meeting of two units': summonsBody({
    ...emptySummonsForm(),
    heldOn: '2026-04-02',
    units: '城关镇人民政府、河口镇人民政府\n城关镇人民政府',
    caseIds: 'c-1 c-2',
    host: '县委副书记 赵明',
    note: ' ',
  }),
  'joint inspection round': roundBody({
    ...emptyRoundForm(),
    name: '2026年第一轮联合督查',
    members: '县生态环境局\n县自然资源局',
    lead: ' 县生态环境局 ',
    from: '2026-03-01',
    to: '2026-03-31',
  }),
  'bulletin from its draft': bulletinBody(
    { ...emptyBulletinForm(), title: '关于3月份整改情况的通报', from: '2026-03-01', to: '2026-03-31', text: '3月份，城关镇人民政府整改进度滞后。' },
    DRAFT,
  ),
  'hotline call with place, coordinates and caller': hotlineBody({
    ...emptyHotlineForm(),
    callRef: '12369-20260630-0042',
    title: '养殖场污水直排',
    description: '来电反映东湾村养殖场夜间直排',
    township: '河口镇',
    domain: 'livestock_aquaculture',
    address: '河口镇东湾村',
    lat: 30.12,
    lon: 114.31,
    callerName: '王五',
    callerPhone: '0710-3123456',
  }),
  'anonymous county hotline call without a place': hotlineBody({
    ...emptyHotlineForm(),
    line: 'county_hotline',
    callRef: 'XZ-0001',
    title: '工地扬尘',
    description: '来电反映',
    township: '城关镇',
    domain: 'dust_construction_waste',
    address: '  ',
    callerName: '',
  }),
  'admonishment talk on a person, with cases': measureBody({
    ...emptyMeasureForm(),
    measure: 'admonishment_talk',
    targetKind: 'unit', // a person measure is on a person whatever was picked before
    unit: '城关镇人民政府',
    name: '张三',
    post: '镇长',
    reason: '河道采砂问题三次未按期整改',
    caseIds: 'c-1, c-2\nc-1',
  }),
  'criticism notice on a unit': measureBody({
    ...emptyMeasureForm(),
    measure: 'criticism_notice',
    targetKind: 'unit',
    unit: '河口镇人民政府',
    name: '留在表单里的姓名',
    reason: '多次超期',
  }),
  revocation: { reason: '对象有误' },
  '立案 with a code typed in lower case': caseBody({
    name: '某某化工有限公司',
    creditCode: ' 9144030071526726xg ',
    address: '城关镇工业园1号',
    violation: '通过暗管排放超标废水',
    legalBasis: '《环境保护法》第六十三条',
    officer: '王执法',
    issueId: ' issue-9 ',
  }),
  'fine typed with a thousands separator': penaltyBody({ amount: '53,210.55', decisionNo: '县环罚〔2024〕1号', dueDate: '2024-04-01' }),
  payment: paymentBody({ penaltyId: 'p-1', amount: '5000', paidOn: '2024-03-25' }),
  'rectification order': orderBody({ requirements: '拆除暗管，停止超标排放', servedOn: '2024-02-20', deadlineDate: '2024-03-01', deadlineTime: '17:00' }),
  're-inspection finding non-compliance': reinspectionBody(noncompliance),
  're-inspection finding compliance, with a note': reinspectionBody({ ...noncompliance, complied: true, note: '暗管已拆除' }),
  'production stop': productionStopBody({ orderedOn: '2024-03-26', note: '' }),
  'detention of two, a blank row left out': detentionBody({
    persons: [
      { name: ' 张三 ', days: 10 },
      { name: '', days: 1 },
      { name: '李四', days: 5 },
    ],
    policeUnit: '县公安局',
  }),
  'criminal measures': criminalMeasuresBody({ persons: [{ name: '李四' }], measure: '刑事拘留', policeUnit: '县公安局' }),
  referral: referralBody({ persons: [{ name: '李四' }, { name: ' ' }], procuratorate: '县人民检察院' }),
  closing: closeBody({ outcome: '移送起诉；按日罚款申请法院强制执行' }),
  '不予公开 by the unit on its own case': confidentialityBody(
    confidentialityAction(
      { confidential: false, assignment: { problem: 'p', task: 't', unit: '城关镇人民政府', leader: { name: '王建国', post: '镇长', liaison: null }, measures: 'm' } },
      { name: 'clerk', roles: ['unit'], unit: '城关镇人民政府' },
    )!,
    '涉及正在侦办的刑事案件',
  ),
  '恢复公开 by 督察办': confidentialityBody(
    confidentialityAction({ confidential: true, assignment: null }, { name: 'office', roles: ['inspection_office'], unit: null })!,
    '侦办终结',
  ),
}

describe('what the forms send', () => {
  it('is, for every form, the body the API’s own model accepts (checked in tests/unit/test_workbench.py)', () => {
    expect(Object.keys(BUILT).sort()).toEqual(file.bodies.map((b) => b.name).sort())
    for (const { name, body } of file.bodies) expect({ name, body: BUILT[name] }).toEqual({ name, body })
  })

  it('sends money as the exact yuan string, and what is not an amount as typed for the API to refuse', () => {
    expect(amountOf('800')).toBe('800.00')
    expect(amountOf('0.1')).toBe('0.10')
    expect(amountOf(' 1.005 ')).toBe('1.005')
    expect(typeof penaltyBody({ amount: '1', decisionNo: 'x', dueDate: '2024-01-01' }).amount).toBe('string')
  })

  it('leaves a blank date out, so the API says 必填 next to it', () => {
    expect(penaltyBody({ amount: '1', decisionNo: 'x', dueDate: '' })).toEqual({ amount: '1.00', decision_no: 'x' })
    expect(orderBody({ requirements: 'r', servedOn: '', deadlineDate: '', deadlineTime: '17:00' })).toEqual({ requirements: 'r' })
  })

  it('reads case ids pasted in any common way', () => {
    expect(idList(' a1、a2，a3;a1\n a4 ')).toEqual(['a1', 'a2', 'a3', 'a4'])
  })
})
