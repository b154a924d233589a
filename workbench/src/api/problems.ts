/**
 * What a refused request means to the person who sent it (错误提示): every answer of the services and the proxy
 * that is not a success becomes one `Problem`, with a Chinese message to show, and for a 422 the message per field.
 *
 * The services answer `{"error": {"code", "message", …}}` (shared/web.py): 409 `version_conflict` (with
 * `current_version`) when someone else changed the case since it was shown, 409 with a rule's code when the case's
 * state forbids the command, 422 with `fields: [{field, message, type}]`. Pydantic's own field messages are English,
 * so they are put in Chinese here by their `type`; a message that is Chinese already (the domain's) is shown as is.
 */

export interface FieldProblem {
  /** The field's path as the API names it: `deadline`, `leader.name`, `evidence.0.sha256`. */
  field: string
  message: string
}

export type ProblemKind =
  | 'conflict' // 409 version_conflict: someone else changed it; reload
  | 'rule' // 409 with a rule's code: the case's state forbids this now; reload
  | 'invalid' // 422: fields to correct
  | 'signin' // 401: sign in again
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'too_large' // 413
  | 'too_many' // 429
  | 'unavailable' // 5xx, or an answer that is not the services' JSON
  | 'network' // no answer at all

export interface Problem {
  kind: ProblemKind
  status: number
  code: string
  message: string
  fields: FieldProblem[]
  /** For a conflict: the version the server has now. */
  currentVersion?: number
}

interface ErrorBody {
  code?: unknown
  message?: unknown
  fields?: unknown
  current_version?: unknown
}

const HAS_CHINESE = /[\u4e00-\u9fff]/

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}

function errorBody(body: unknown): ErrorBody {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = (body as { error: unknown }).error
    if (typeof error === 'object' && error !== null) return error as ErrorBody
  }
  return {}
}

function firstNumber(message: string): string | undefined {
  return /(\d+(?:\.\d+)?)/.exec(message)?.[1]
}

/** A pydantic field message in Chinese, by its `type` (the number it names is kept). */
export function fieldMessage(type: string | undefined, message: string): string {
  if (HAS_CHINESE.test(message)) return message.replace(/^Value error, /, '')
  const n = firstNumber(message)
  switch (type) {
    case 'missing':
      return '必填'
    case 'string_too_short':
      return n === '1' ? '不能为空' : `至少 ${n} 个字`
    case 'string_too_long':
      return `最多 ${n} 个字`
    case 'too_short':
      return `至少 ${n} 项`
    case 'too_long':
      return `最多 ${n} 项`
    case 'greater_than_equal':
      return `不能小于 ${n}`
    case 'less_than_equal':
      return `不能大于 ${n}`
    case 'greater_than':
      return `须大于 ${n}`
    case 'less_than':
      return `须小于 ${n}`
    case 'int_parsing':
    case 'int_type':
    case 'int_from_float':
      return '须为整数'
    case 'bool_parsing':
    case 'bool_type':
      return '须为“是”或“否”'
    case 'timezone_aware':
      return '须注明时区'
    case 'datetime_parsing':
    case 'datetime_from_date_parsing':
    case 'datetime_type':
      return '日期时间格式不正确'
    case 'string_pattern_mismatch':
      return '格式不正确'
    case 'extra_forbidden':
      return '不应提交此项'
    default:
      return `填写有误（${message}）`
  }
}

function fieldsOf(value: unknown): FieldProblem[] {
  if (!Array.isArray(value)) return []
  return value.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return []
    const { field, message, type } = item as { field?: unknown; message?: unknown; type?: unknown }
    const name = typeof field === 'string' ? field : ''
    return [{ field: name, message: fieldMessage(text(type), text(message) ?? '') }]
  })
}

const FALLBACK: Record<ProblemKind, string> = {
  conflict: '该案件已被他人修改',
  rule: '当前状态下不能进行此操作',
  invalid: '提交的内容有误，请按提示修改',
  signin: '登录已失效，请重新登录',
  forbidden: '您的岗位无权进行此操作',
  not_found: '未找到该记录，可能已不在您的办理范围内',
  too_large: '提交的内容过大，请减少或压缩文件后再提交',
  too_many: '提交过于频繁，请稍后再试',
  unavailable: '服务暂时无法访问，请稍后重试；如持续出现，请联系系统管理员',
  network: '无法连接服务器，请检查网络后重试',
}

function kindOf(status: number, code: string | undefined): ProblemKind {
  if (status === 0) return 'network'
  if (status === 409) return code === 'version_conflict' ? 'conflict' : 'rule'
  if (status === 422 || status === 400) return 'invalid'
  if (status === 401) return 'signin'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'not_found'
  if (status === 413) return 'too_large'
  if (status === 429) return 'too_many'
  return 'unavailable'
}

/** The problem an answer with this status and (parsed JSON, or undefined) body stands for. */
export function problemOf(status: number, body: unknown, sentVersion?: number): Problem {
  const error = errorBody(body)
  const code = text(error.code)
  const kind = kindOf(status, code)
  const given = text(error.message)
  const problem: Problem = {
    kind,
    status,
    code: code ?? `http_${status}`,
    message: given !== undefined && HAS_CHINESE.test(given) ? given : FALLBACK[kind],
    fields: fieldsOf(error.fields),
  }
  if (kind === 'conflict') {
    const current = typeof error.current_version === 'number' ? error.current_version : undefined
    problem.currentVersion = current
    const versions =
      sentVersion !== undefined && current !== undefined ? `（您看到的是第 ${sentVersion} 版，现为第 ${current} 版）` : ''
    problem.message = `该案件已被他人修改${versions}，已为您重新载入最新内容，请核对后再操作`
  } else if (kind === 'rule') {
    problem.message = `${problem.message}。已为您重新载入案件的最新状态`
  } else if (kind === 'unavailable' && given === undefined) {
    problem.message = `${FALLBACK.unavailable}（HTTP ${status}）`
  }
  return problem
}

/** A 422's messages by field path, several for one field joined; what names no field is under ''. */
export function messagesByField(problem: Problem): Record<string, string> {
  const byField: Record<string, string> = {}
  for (const { field, message } of problem.fields) {
    byField[field] = byField[field] === undefined ? message : `${byField[field]}；${message}`
  }
  return byField
}

/** Thrown by the API client for every answer that is not a success. */
export class ApiError extends Error {
  readonly problem: Problem

  constructor(problem: Problem) {
    super(problem.message)
    this.name = 'ApiError'
    this.problem = problem
  }
}
