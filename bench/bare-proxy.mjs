// The baseline of bench/gateway: a bare proxy (node:http + a pooled undici client, no checks)
// forwarding every request to BENCH_UPSTREAM and streaming the answer back. Prints {url}.
import http from 'node:http'
import { Pool } from 'undici'

const upstream = new Pool(process.env.BENCH_UPSTREAM, { connections: 256, keepAliveTimeout: 30_000 })
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection', 'host'])
const server = http.createServer(async (req, res) => {
  try {
    const headers = {}
    for (const [name, value] of Object.entries(req.headers)) if (!HOP.has(name)) headers[name] = value
    const answer = await upstream.request({ method: req.method, path: req.url.replace(/^\/proxy/, ''), headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req })
    const out = {}
    for (const [name, value] of Object.entries(answer.headers)) if (!HOP.has(name)) out[name] = value
    res.writeHead(answer.statusCode, out)
    answer.body.pipe(res)
  } catch {
    res.writeHead(502).end()
  }
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }) + '\n'))
process.once('SIGTERM', () => process.exit(0))
