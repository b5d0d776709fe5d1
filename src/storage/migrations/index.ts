import type { Migration } from 'kysely'
import { coreMigration } from './001-core.js'
import { webhooksMigration } from './002-webhooks.js'
import { membersMigration } from './003-members.js'
import { usageMigration } from './005-usage.js'
import { sessionsMigration } from './006-sessions.js'
import { webhookAttemptsMigration } from './007-webhook-attempts.js'
import { invitationsMigration } from './008-invitations.js'
import { keyDepthMigration } from './009-key-depth.js'
import { keyImportNoticesMigration } from './010-key-import-notices.js'
import { serviceKeysMigration } from './011-service-keys.js'
import { accountLinksMigration } from './012-account-links.js'
import { webhookResponsesMigration } from './014-webhook-responses.js'

/** Portico's own migrations, in order. Capabilities that own tables add theirs here (`0NN-name`). */
export const porticoMigrations: Record<string, Migration> = {
  '001-core': coreMigration,
  '002-webhooks': webhooksMigration,
  '003-members': membersMigration,
  '005-usage': usageMigration,
  '006-sessions': sessionsMigration,
  '007-webhook-attempts': webhookAttemptsMigration,
  '008-invitations': invitationsMigration,
  '009-key-depth': keyDepthMigration,
  '010-key-import-notices': keyImportNoticesMigration,
  '011-service-keys': serviceKeysMigration,
  '012-account-links': accountLinksMigration,
  '014-webhook-responses': webhookResponsesMigration,
}
