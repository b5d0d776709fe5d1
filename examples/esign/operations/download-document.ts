import { defineOperation, FileResult, orgIdOf, z } from '../../../src/index.js'
import { loadFile } from '../documents.js'
import { DocumentIdParams } from '../schemas.js'

/** Content-Disposition carries only printable ASCII; the stored name keeps whatever was uploaded. */
const asciiName = (name: string) => name.replace(/\.pdf$/i, '').replace(/[^\x20-\x7e]+/g, '_').slice(0, 120) || 'document'

export const downloadDocument = defineOperation({
  id: 'documents.file',
  method: 'get',
  path: '/documents/{id}/file',
  tags: ['Documents'],
  summary: 'Download the PDF',
  description: 'The uploaded PDF; once the document is COMPLETED, the PDF with every signature stamped in.',
  scope: 'read',
  params: DocumentIdParams,
  output: z.unknown(),
  fileOutput: 'application/pdf',
  handler: async (input, ctx) => {
    const row = await loadFile(ctx.db, orgIdOf(ctx.principal), input.id)
    const name = asciiName(row.file_name)
    return row.status === 'COMPLETED' && row.completed_file
      ? new FileResult(row.completed_file, 'application/pdf', `${name} (signed).pdf`)
      : new FileResult(row.file, 'application/pdf', `${name}.pdf`)
  },
})
