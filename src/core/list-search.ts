import { z } from './schema.js'

/** `?q=` of a list: trimmed, at most 100 characters; empty means no search. */
export const searchParam = (description: string) => z.string().trim().max(100).optional().openapi({ description })

/** `%`, `_` and the escape itself stand for themselves in a LIKE pattern (written with `escape '\\'`). */
export const likeEscaped = (text: string) => text.replace(/[\\%_]/g, (ch) => `\\${ch}`)
