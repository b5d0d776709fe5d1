/**
 * The example e-signature product, mounted on Portico exactly as a customer's product would be:
 * it declares its operations, tables, events, rate-limit class and public pages through
 * Portico's public entry point, and nothing else.
 */
import { defineModule } from '../../src/index.js'
import { directLinkPages } from './direct-link-page.js'
import { esignMigrations } from './migrations.js'
import { closePdfWorkers, warmPdfWorkers } from './pdf.js'
import { createDirectLink } from './operations/create-direct-link.js'
import { createDocumentOp } from './operations/create-document.js'
import { createEmbedToken } from './operations/create-embed-token.js'
import { createField } from './operations/create-field.js'
import { createRecipient } from './operations/create-recipient.js'
import { createTemplate } from './operations/create-template.js'
import { deleteDocument } from './operations/delete-document.js'
import { downloadDocument } from './operations/download-document.js'
import { duplicateDocument } from './operations/duplicate-document.js'
import { generateDocument } from './operations/generate-document.js'
import { getDocument } from './operations/get-document.js'
import { getTemplate } from './operations/get-template.js'
import { listDocuments } from './operations/list-documents.js'
import { listFields } from './operations/list-fields.js'
import { listRecipients } from './operations/list-recipients.js'
import { listTemplates } from './operations/list-templates.js'
import { sendDocumentOp } from './operations/send-document.js'
import { DocumentSchema, RecipientSignedEvent } from './schemas.js'
import { signingPages } from './signing-page.js'

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
    createRecipient,
    listFields,
    createField,
    createEmbedToken,
    listTemplates,
    createTemplate,
    getTemplate,
    generateDocument,
    createDirectLink,
  ],
  // `send` is also a Portico default; declaring it keeps the product's own limit visible here.
  limitClasses: [{ name: 'send', limit: 30, windowSeconds: 60 }],
  pages: [...signingPages, ...directLinkPages],
  // PDF worker threads: one loaded at start, all ended with the server.
  start: warmPdfWorkers,
  stop: closePdfWorkers,
  tags: [
    { name: 'Documents', description: 'Upload a PDF, add recipients and fields, send it, collect signatures.' },
    { name: 'Templates', description: 'Reusable documents: generate and send, or share a public direct link.' },
  ],
  events: [
    { type: 'document.created', summary: 'A document was uploaded, duplicated or generated from a template', schema: DocumentSchema },
    { type: 'document.sent', summary: 'A document was sent for signature', schema: DocumentSchema },
    { type: 'recipient.signed', summary: 'A recipient signed', schema: RecipientSignedEvent },
    { type: 'document.completed', summary: 'Every signer signed; the completed PDF is ready', schema: DocumentSchema },
    { type: 'document.deleted', summary: 'A document was deleted', schema: DocumentSchema },
  ],
})
