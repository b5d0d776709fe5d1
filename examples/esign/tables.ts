import type { Kysely } from 'kysely'
import type { AnyDb } from '../../src/index.js'

export type DocumentStatus = 'DRAFT' | 'PENDING' | 'COMPLETED' | 'DECLINED'
export type RecipientRole = 'SIGNER' | 'VIEWER' | 'APPROVER'
export type FieldType = 'SIGNATURE' | 'INITIALS' | 'DATE' | 'TEXT'

export interface DocumentsTable {
  id: string
  org_id: string
  title: string
  status: DocumentStatus
  file_name: string
  file: Uint8Array
  page_count: number
  completed_file: Uint8Array | null
  template_id: string | null
  created_at: string
  updated_at: string
  sent_at: string | null
  completed_at: string | null
}

export interface RecipientsTable {
  id: string
  org_id: string
  document_id: string
  name: string
  email: string
  role: RecipientRole
  position: number
  status: 'PENDING' | 'SIGNED' | 'DECLINED'
  token_hash: string | null
  signature_name: string | null
  signed_at: string | null
  created_at: string
}

export interface FieldsTable {
  id: string
  org_id: string
  document_id: string
  recipient_id: string
  type: FieldType
  page: number
  x: number
  y: number
  width: number
  height: number
  created_at: string
}

export interface TemplatesTable {
  id: string
  org_id: string
  title: string
  file_name: string
  file: Uint8Array
  page_count: number
  /** Recipient slots and their fields, as JSON: [{name, email, role, fields: [...]}]. */
  slots: string
  direct_link_hash: string | null
  created_at: string
}

export interface EsignTables {
  esign_documents: DocumentsTable
  esign_recipients: RecipientsTable
  esign_fields: FieldsTable
  esign_templates: TemplatesTable
}

export type EsignDb = Kysely<EsignTables>
export const esignDb = (db: AnyDb): EsignDb => db as unknown as EsignDb
