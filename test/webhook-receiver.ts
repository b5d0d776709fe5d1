import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  headers: Record<string, string>
  body: string
  at: number
}

export type Answer = number | { status: number; headers?: Record<string, string>; body?: string }

/**
 * A real HTTP endpoint for deliveries; `respond` decides each answer (it may return a promise, one
 * that never settles to play a receiver that hangs). `n` counts requests from 1.
 */
export async function startReceiver(respond: (n: number, received: Received) => Answer | Promise<Answer> = () => 200) {
  const received: Received[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const entry = { headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() }
      received.push(entry)
      void Promise.resolve(respond(received.length, entry)).then((answer) => {
        const { status, headers, body } = typeof answer === 'number' ? { status: answer, headers: {}, body: 'ok' } : answer
        if (!res.destroyed) res.writeHead(status, headers).end(body ?? 'ok')
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}
