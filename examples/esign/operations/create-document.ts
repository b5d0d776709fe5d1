import { ApiError, defineOperation, orgIdOf, z, type UploadedFile } from '../../../src/index.js'
import { checkedUpload, createDocument, view } from '../documents.js'
import { MAX_FILE_BYTES } from '../pdf.js'
import { DocumentSchema, RecipientInput } from '../schemas.js'

const UploadedFileSchema = z
  .custom<UploadedFile>((v) => typeof v === 'object' && v !== null && (v as UploadedFile).bytes instanceof Uint8Array, { message: 'must be a file upload' })
  .openapi({ type: 'string', format: 'binary', description: 'The PDF (multipart/form-data), at most 10 MB.' })

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Decodes `file_base64`, refusing what is not base64 rather than letting Buffer skip the junk. */
function decodeBase64(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '')
  const size = Math.floor((compact.length * 3) / 4) - (compact.match(/=*$/)?.[0].length ?? 0)
  if (size > MAX_FILE_BYTES) throw new ApiError('payload_too_large', 'file_base64 is over 10 MB once decoded', { fields: { file_base64: 'must be at most 10 MB once decoded' } })
  if (!BASE64.test(compact) || compact.length % 4 === 1) throw new ApiError('validation_error', 'file_base64 is not base64', { fields: { file_base64: 'must be the PDF in base64' } })
  return Buffer.from(compact, 'base64')
}

export const createDocumentOp = defineOperation({
  id: 'documents.create',
  method: 'post',
  path: '/documents',
  tags: ['Documents'],
  summary: 'Upload a PDF as a new draft document',
  description:
    'Send `multipart/form-data` (`file=@contract.pdf`, `title`, `recipients[0][name]`, `recipients[0][email]`, `recipients[0][role]`) ' +
    'or JSON `{title, file_base64, recipients?}`. The file must be a real PDF of at most 10 MB; anything else is refused and nothing is stored.',
  toolDescription:
    'Upload a PDF as a new draft document: `title`, `file_base64` (the PDF, base64-encoded, at most 10 MB once decoded) and optionally `recipients` ' +
    '(name, email, role SIGNER, VIEWER or APPROVER). The file must be a real PDF; anything else is refused and nothing is stored.',
  scope: 'draft',
  exactlyOneOf: ['file', 'file_base64'],
  bodyTypes: ['multipart', 'json'],
  // Room for a 10 MB PDF in base64 (about 13.4 MB) and the rest of the JSON; the 10 MB cap on the
  // file itself is checked once decoded.
  maxBodyBytes: Math.ceil((MAX_FILE_BYTES * 4) / 3) + 512 * 1024,
  body: z.object({
    title: z.string().trim().min(1).max(300),
    file: UploadedFileSchema.optional(),
    file_base64: z.string().optional().openapi({ description: 'The PDF, base64-encoded (JSON requests), at most 10 MB once decoded.' }),
    recipients: z.array(RecipientInput).max(50).optional(),
  }),
  output: DocumentSchema,
  errors: ['payload_too_large'],
  handler: async (input, ctx) => {
    // exactlyOneOf: the request carries file or file_base64, never both or neither.
    const upload = input.file
      ? { ...(await checkedUpload(input.file.bytes, 'file')), fileName: input.file.filename || `${input.title.slice(0, 80)}.pdf` }
      : { ...(await checkedUpload(decodeBase64(input.file_base64!), 'file_base64')), fileName: `${input.title.slice(0, 80)}.pdf` }
    const loaded = await ctx.transaction((tx) => createDocument(tx, orgIdOf(ctx.principal), { title: input.title, recipients: input.recipients ?? [], ...upload }))
    return view(loaded)
  },
})
