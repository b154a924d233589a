/** Optional fields of a request body: a blank one is left out (the services refuse an empty string as too short). */
export function present<K extends string>(name: K, value: string): { [P in K]?: string } {
  return (value.trim() === '' ? {} : { [name]: value }) as { [P in K]?: string }
}

/** Ids typed or pasted into one box: split on blanks, commas and 、, each once, in the order given. */
export function idList(text: string): string[] {
  return [...new Set(text.split(/[\s,，、;；]+/).filter((id) => id !== ''))]
}

/** Names typed in rows: the rows with a name, trimmed. */
export function named<T extends { name: string }>(rows: T[]): T[] {
  return rows.filter((r) => r.name.trim() !== '').map((r) => ({ ...r, name: r.name.trim() }))
}
