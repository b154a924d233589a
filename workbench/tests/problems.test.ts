import { describe, expect, it } from 'vitest'

import { fieldMessage, messagesByField, problemOf } from '../src/api/problems'

describe('a refusal becomes a Chinese message', () => {
  it('says a version conflict is someone else’s change, with both versions, and that the case is reloaded', () => {
    const body = {
      error: { code: 'version_conflict', message: '数据已被他人修改（当前版本 5，请求基于版本 3），请刷新后重试', current_version: 5 },
    }
    const problem = problemOf(409, body, 3)
    expect(problem.kind).toBe('conflict')
    expect(problem.currentVersion).toBe(5)
    expect(problem.message).toBe('该案件已被他人修改（您看到的是第 3 版，现为第 5 版），已为您重新载入最新内容，请核对后再操作')
  })

  it('keeps a rule’s own message for any other 409 and says the case is reloaded', () => {
    const problem = problemOf(409, { error: { code: 'case_closed', message: '案件已销号，不能再反馈' } })
    expect(problem.kind).toBe('rule')
    expect(problem.code).toBe('case_closed')
    expect(problem.message).toBe('案件已销号，不能再反馈。已为您重新载入案件的最新状态')
  })

  it('puts each 422 field’s message under the field the API names', () => {
    const body = {
      error: {
        code: 'invalid_request',
        message: '请求内容有误，请检查字段：leader.name、percent',
        fields: [
          { field: 'leader.name', message: 'Field required', type: 'missing' },
          { field: 'percent', message: 'Input should be less than or equal to 100', type: 'less_than_equal' },
          { field: 'deadline', message: '整改时限须晚于交办时间', type: 'value_error' },
        ],
      },
    }
    const problem = problemOf(422, body)
    expect(problem.kind).toBe('invalid')
    expect(problem.message).toBe('请求内容有误，请检查字段：leader.name、percent')
    expect(messagesByField(problem)).toEqual({
      'leader.name': '必填',
      percent: '不能大于 100',
      deadline: '整改时限须晚于交办时间',
    })
  })

  it('joins two messages for one field', () => {
    const problem = problemOf(422, {
      error: { code: 'invalid_field', message: '有误', fields: [{ field: 'note', message: '甲' }, { field: 'note', message: '乙' }] },
    })
    expect(messagesByField(problem)).toEqual({ note: '甲；乙' })
  })

  it('puts pydantic’s English messages in Chinese and keeps their numbers', () => {
    expect(fieldMessage('string_too_short', 'String should have at least 1 character')).toBe('不能为空')
    expect(fieldMessage('string_too_long', 'String should have at most 2000 characters')).toBe('最多 2000 个字')
    expect(fieldMessage('too_short', 'List should have at least 1 item after validation, not 0')).toBe('至少 1 项')
    expect(fieldMessage('value_error', 'Value error, 不能同时给出时限和工作日')).toBe('不能同时给出时限和工作日')
    expect(fieldMessage('something_new', 'Odd input')).toBe('填写有误（Odd input）')
  })

  it('answers in Chinese when the body is not the services’ JSON', () => {
    expect(problemOf(502, undefined).message).toBe('服务暂时无法访问，请稍后重试；如持续出现，请联系系统管理员（HTTP 502）')
    expect(problemOf(0, undefined).kind).toBe('network')
    expect(problemOf(403, { error: { code: 'forbidden', message: 'forbidden' } }).message).toBe('您的岗位无权进行此操作')
  })

  it('shows the services’ Chinese 401, 403 and 404 messages as they are', () => {
    expect(problemOf(401, { error: { code: 'token_expired', message: '登录已过期，请重新登录' } })).toMatchObject({
      kind: 'signin',
      code: 'token_expired',
      message: '登录已过期，请重新登录',
    })
    expect(problemOf(404, { error: { code: 'not_found', message: '未找到整改案件：x' } }).message).toBe('未找到整改案件：x')
  })
})
