/**
 * The example e-signature product, mounted on Portico exactly as a customer's product would be:
 * it declares its operations, tables, events, rate-limit class and public pages through
 * Portico's public entry point, and nothing else.
 */
import { defineModule, z } from '../../src/index.js'
import { esignMigrations } from './migrations.js'
import { createDocumentOp, deleteDocument, downloadDocument, duplicateDocument, getDocument, listDocuments, sendDocumentOp } from './operations/documents.js'
import { addField, addRecipient, createEmbedToken, listFields, listRecipients } from './operations/recipients.js'
import { createDirectLink, createTemplate, generateDocument, getTemplate, listTemplates } from './operations/templates.js'
import { esignPages } from './pages.js'
import { DocumentSchema } from './schemas.js'

export const esignModule = defineModule({
  name: 'esign',
  migrations: esignMigrations,
  operations: [
    listDocuments,
    createDocumentOp,
    getDocument,
    downloadDocument,
    deleteDocument,
    sendDocumentOp,
    duplicateDocument,
    listRecipients,
    addRecipient,
    listFields,
    addField,
    createEmbedToken,
    listTemplates,
    createTemplate,
    getTemplate,
    generateDocument,
    createDirectLink,
  ],
  limitClasses: [{ name: 'send', limit: 30, windowSeconds: 60 }],
  pages: esignPages,
  tags: [
    { name: 'Documents', description: 'Upload a PDF, add recipients and fields, send it, collect signatures.' },
    { name: 'Templates', description: 'Reusable documents: generate and send, or share a public direct link.' },
  ],
  events: [
    { type: 'document.created', summary: 'A document was uploaded', schema: DocumentSchema },
    { type: 'document.sent', summary: 'A document was sent for signature', schema: DocumentSchema },
    {
      type: 'recipient.signed',
      summary: 'A recipient signed',
      schema: z.object({ document_id: z.uuid(), recipient: z.object({ id: z.uuid(), name: z.string(), email: z.string(), role: z.string(), signed_at: z.string() }) }),
    },
    { type: 'document.completed', summary: 'Every signer signed; the completed PDF is ready', schema: DocumentSchema },
    { type: 'document.deleted', summary: 'A document was deleted', schema: DocumentSchema },
  ],
})
