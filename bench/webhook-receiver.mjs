// A local webhook receiver for bench/webhooks: answers 200, remembers when each event arrived,
// and prints {n: receivedAtMs} as JSON when told to stop (SIGTERM).
import http from 'node:http'

const seen = {}
const server = http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const at = Date.now()
    const n = JSON.parse(Buffer.concat(chunks).toString()).data.n
    seen[n] ??= at
    res.writeHead(200).end()
  })
})
server.keepAliveTimeout = 30_000
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/hook` }) + '\n'))
process.once('SIGTERM', () => {
  process.stdout.write(JSON.stringify(seen) + '\n')
  process.exit(0)
})
