// One end of a bulk TCP transfer of the proxy benchmark, in a process of its own.
//
//   node tcp-bulk.mjs read  <listen|PORT> <bytes>   reads <bytes>, then prints
//                                                   `done <bytes> <ms from first to last byte>`, exits
//   node tcp-bulk.mjs write <listen|PORT> <bytes>   writes <bytes> in 1 MiB blocks as fast as the
//                                                   peer takes them, ends the connection, exits
//
// `listen` listens on 127.0.0.1 (printing `port <n>`) and serves the first
// connection only; a port number connects to 127.0.0.1:<port> instead.
// Either end exits by itself after 120 s at the latest.
import net from 'node:net';

const [role, where, bytesText] = process.argv.slice(2);
const total = Number(bytesText);
if ((role !== 'read' && role !== 'write') || where === undefined || !(total > 0)) {
  process.stderr.write('usage: tcp-bulk.mjs read|write listen|<port> <bytes>\n');
  process.exit(2);
}
setTimeout(() => {
  process.stderr.write(`tcp-bulk ${role}: gave up after 120 s\n`);
  process.exit(2);
}, 120_000).unref();

function read(socket) {
  let received = 0;
  let first = 0;
  socket.on('data', (chunk) => {
    if (received === 0) first = performance.now();
    received += chunk.length;
    if (received >= total) {
      const ms = performance.now() - first;
      socket.pause();
      process.stdout.write(`done ${received} ${ms}\n`, () => process.exit(0));
    }
  });
  socket.on('close', () => {
    if (received < total) {
      process.stderr.write(`tcp-bulk read: connection closed after ${received} of ${total} bytes\n`);
      process.exit(1);
    }
  });
}

function write(socket) {
  const block = Buffer.alloc(1024 * 1024, 0xa5);
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(block.length, total - sent);
      sent += n;
      if (!socket.write(n === block.length ? block : block.subarray(0, n))) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  };
  pump();
  socket.on('close', () => process.exit(0));
}

const serve = role === 'read' ? read : write;
if (where === 'listen') {
  const server = net.createServer((socket) => {
    server.close();
    socket.on('error', (err) => process.stderr.write(`tcp-bulk ${role}: ${err.message}\n`));
    serve(socket);
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${server.address().port}\n`));
} else {
  const socket = net.connect({ host: '127.0.0.1', port: Number(where) }, () => serve(socket));
  socket.on('error', (err) => {
    process.stderr.write(`tcp-bulk ${role}: ${err.message}\n`);
    process.exit(1);
  });
}
