// A minimal upstream for bench/gateway: node:http answering a small JSON body. Prints {url}.
import http from 'node:http'

const body = Buffer.from(JSON.stringify({ status: 'ok', service: 'upstream' }))
const server = http.createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
    res.end(body)
  })
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }) + '\n'))
process.once('SIGTERM', () => process.exit(0))
