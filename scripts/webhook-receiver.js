// A webhook endpoint for benchmarks: answers 204 to every POST on 127.0.0.1:3199 and writes
// "<requests> <distinct webhook-ids>" to /tmp/receiver.count every second.
const http = require('http');
let n = 0; const ids = new Set();
http.createServer((req, res) => {
  let body = ''; req.on('data', c => body += c);
  req.on('end', () => { n++; ids.add(req.headers['webhook-id']); res.writeHead(204); res.end(); });
}).listen(3199, '127.0.0.1');
setInterval(() => require('fs').writeFileSync('/tmp/receiver.count', `${n} ${ids.size}\n`), 1000);
