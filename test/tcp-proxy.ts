import net from 'node:net'
import { postgresUrl } from './harness.js'

/**
 * A TCP hop between Portico and a service (PostgreSQL, Redis) that a test controls, to stage the
 * service's faults without touching the shared one: `stop` refuses new connections and drops the
 * open ones (the service is down), `reset` drops the open ones only (a restart or a failover),
 * `freeze` keeps connections open but passes nothing until `thaw` (a hung service), and `delay`
 * holds every chunk, both ways, for that many milliseconds (a slow network), except on
 * connections whose client has sent something matching `options.undelayed` (PostgreSQL's `LISTEN`,
 * to slow a pool's queries but not the notifications).
 */
export interface TcpProxy {
  /** The proxy's `host:port`, to put in a URL in place of the service's. */
  host: string
  port: number
  /** `url` with its host and port replaced by the proxy's. */
  url(target: string): string
  start(): Promise<void>
  stop(): Promise<void>
  reset(): void
  freeze(): void
  thaw(): void
  delay(ms: number): void
  /** Connections currently open through the proxy. */
  readonly connections: number
  close(): Promise<void>
}

export async function tcpProxy(targetHost: string, targetPort: number, options: { undelayed?: RegExp } = {}): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>()
  let frozen = false
  let delayMs = 0
  const held: [net.Socket, Buffer][] = []
  const relay = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost)
    const pair: [net.Socket, net.Socket] = [client, upstream]
    pairs.add(pair)
    let exempt = false
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      // Chunks keep their order whatever the delay: each leaves no earlier than the one before.
      let last = 0
      from.on('error', () => to.destroy())
      from.on('close', () => {
        pairs.delete(pair)
        to.destroy()
      })
      from.on('data', (chunk: Buffer) => {
        if (frozen) return void held.push([to, chunk])
        if (from === client && options.undelayed?.test(chunk.toString('latin1'))) exempt = true
        if ((delayMs === 0 || exempt) && last <= Date.now()) return void to.write(chunk)
        last = Math.max(last, Date.now() + delayMs)
        setTimeout(() => to.destroyed || to.write(chunk), last - Date.now())
      })
    }
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
  const port = (relay.address() as net.AddressInfo).port
  const dropAll = () => {
    for (const [a, b] of pairs) {
      a.resetAndDestroy()
      b.resetAndDestroy()
    }
    pairs.clear()
  }
  return {
    host: '127.0.0.1',
    port,
    url(target) {
      const u = new URL(target)
      u.hostname = '127.0.0.1'
      u.port = String(port)
      return u.toString()
    },
    start: () =>
      new Promise<void>((resolve, reject) => {
        if (relay.listening) return resolve()
        relay.once('error', reject).listen(port, '127.0.0.1', () => resolve())
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        dropAll()
        if (!relay.listening) return resolve()
        relay.close(() => resolve())
      }),
    reset: dropAll,
    freeze: () => void (frozen = true),
    thaw: () => {
      frozen = false
      for (const [socket, chunk] of held.splice(0)) if (!socket.destroyed) socket.write(chunk)
    },
    delay: (ms) => void (delayMs = ms),
    get connections() {
      return pairs.size
    },
    async close() {
      frozen = false
      held.length = 0
      dropAll()
      if (relay.listening) await new Promise<void>((resolve) => relay.close(() => resolve()))
    },
  }
}

/** A proxy in front of the tests' PostgreSQL (PORTICO_TEST_POSTGRES_URL). */
export function postgresProxy(options: { undelayed?: RegExp } = {}): Promise<TcpProxy> {
  const target = new URL(postgresUrl!)
  return tcpProxy(target.hostname, Number(target.port || 5432), options)
}
