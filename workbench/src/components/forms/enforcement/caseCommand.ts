/**
 * What every command form of an enforcement case does (执法办理): keep the unsent form as a draft, send the command on
 * the version the page showed (If-Match), and on success tell the page the API's own message (a re-inspection's names
 * the daily penalty it issued), which reloads the case; 409 and 422 as for every command (command.ts).
 */
import { send, type Commands, type EnforcementCase } from '../../../api/enforcement'
import { useCommand, type CommandState } from '../../../command'
import { useApi } from '../../../context'
import { useDraft, type Draft } from '../../../drafts'

export interface CaseCommand<F> extends Pick<CommandState, 'errors' | 'busy'> {
  draft: Draft<F>
  submit(): Promise<void>
}

export function useCaseCommand<C extends keyof Commands, F extends object>(
  item: EnforcementCase,
  command: C,
  initial: () => F,
  body: (form: F) => Commands[C],
  done: string,
  /** After the command, or a refusal that reloads the case (409): with the API's message when it was done. */
  changed: (message: string | null) => void,
): CaseCommand<F> {
  const api = useApi()
  const draft = useDraft(`enforcement:${command}:${item.case_id}`, initial)
  // The page reloads the case after the command (useCommand's reload), with its message once it was done.
  let message: string | null = null
  const { errors, busy, answer } = useCommand(() => changed(message))
  async function submit(): Promise<void> {
    message = null
    const result = await answer(async () => {
      const out = await send(api, item.case_id, command, body(draft.form), item.version)
      message = out.message
      return out
    }, done)
    if (result !== undefined) draft.clear()
  }
  return { draft, errors, busy, submit }
}

/** The fields a form with person rows shows next to their row (the API names them by position, at most 100). */
export const PERSON_FIELDS = [
  'persons',
  ...Array.from({ length: 100 }, (_, i) => [`persons.${i}.name`, `persons.${i}.days`]).flat(),
]
