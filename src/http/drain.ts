import type { Server, ServerResponse } from 'node:http'
import net, { type Socket } from 'node:net'

export interface DrainOptions {
  /** Connections still idle this long after the start are closed (a client may be sending on one at the very start). */
  idleAfterMs: number
  /** Connections still open then are cut, requests in flight with them. */
  deadlineMs: number
}

/**
 * Shuts a Node HTTP server down without resetting anyone: it stops accepting, answers every
 * request in flight or arriving on an open connection with `Connection: close` (so the client
 * knows not to reuse it), leaves idle keep-alive connections a moment to carry one last request,
 * then closes them, and cuts what is left at the deadline. Costs nothing per request until then.
 */
export class HttpDrain {
  readonly #sockets = new Set<Socket>()
  #draining: Promise<void> | undefined

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
  }

  get draining(): boolean {
    return this.#draining !== undefined
  }

  drain(options: DrainOptions): Promise<void> {
    this.#draining ??= this.#drain(options)
    return this.#draining
  }

  async #drain({ idleAfterMs, deadlineMs }: DrainOptions): Promise<void> {
    const { server } = this
    server.prependListener('request', (_req, res: ServerResponse) => {
      res.shouldKeepAlive = false
    })
    for (const socket of this.#sockets) {
      // The response a connection is busy with; Node keeps it there until it is finished.
      const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
      if (res && !res.headersSent) res.shouldKeepAlive = false
    }
    const idle = setTimeout(() => server.closeIdleConnections(), idleAfterMs)
    const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs)
    try {
      // net.Server's close, not http.Server's: that one also closes idle connections at once, which
      // resets a request a client is sending on one at that moment. It calls back once every
      // connection has ended.
      await new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()))
    } finally {
      clearTimeout(idle)
      clearTimeout(deadline)
    }
  }
}
