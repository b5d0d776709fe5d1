import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'

export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/**
 * Standard Webhooks signature header. During a rotation window both secrets sign, space-separated,
 * so receivers holding either one verify the delivery.
 */
export function signatureHeader(secrets: string[], msgId: string, timestamp: Date, payload: string): string {
  return secrets.map((secret) => new Webhook(secret).sign(msgId, timestamp, payload)).join(' ')
}
