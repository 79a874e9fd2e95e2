#!/usr/bin/env python3
# A report receiver for the upload tests that misbehaves on purpose.
#   receiver.py DIR [--tls CERT KEY [--client-ca CA]]
# Listens on 127.0.0.1 (a free port, written to DIR/port). Each request
# takes the next line of DIR/script as its behaviour (the last line
# repeats): "200", "500", "400", "408", "503", "429 RETRY_AFTER", "drop"
# (close without answering), "slow SECONDS" (answer 200 after sleeping).
# Every request is logged to DIR/requests as one line:
#   N behaviour idempotency-key content-encoding content-type auth user-agent time
# (auth is "bearer:<sha256 of the token>" or "none"; user-agent with its
# spaces as "_"; time is when the request arrived, in seconds since the
# epoch, with milliseconds), and each body to DIR/body.N. Accepted
# deliveries (2xx) are appended to DIR/accepted as "KEY N"; a "slow" answer
# whose client hung up before it came is not a delivery: it goes to
# DIR/abandoned instead. The environment variable RECEIVER_LIFETIME (seconds,
# default 120) bounds how long the receiver lives.
import hashlib, http.server, os, select, socket, ssl, sys, threading, time

D = sys.argv[1]
lock = threading.Lock()
count = [0]


def behaviour(n):
    try:
        with open(os.path.join(D, "script")) as f:
            lines = [l.strip() for l in f if l.strip()]
    except OSError:
        lines = ["200"]
    return lines[min(n, len(lines) - 1)] if lines else "200"


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def peer_gone(self):
        try:
            r, _, _ = select.select([self.connection], [], [], 0)
            if not r:
                return False
            if isinstance(self.connection, ssl.SSLSocket):
                return self.connection.recv(1) == b""
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def do_POST(self):
        arrived = time.time()
        with lock:
            n = count[0]
            count[0] += 1
        b = behaviour(n)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            auth = "bearer:" + hashlib.sha256(auth[7:].encode()).hexdigest()
        else:
            auth = "none" if not auth else "other"
        key = self.headers.get("Idempotency-Key", "-")
        with lock:
            with open(os.path.join(D, "requests"), "a") as f:
                f.write("%d %s %s %s %s %s %s %.3f\n" % (
                    n, b.replace(" ", "_"), key,
                    self.headers.get("Content-Encoding", "-"),
                    self.headers.get("Content-Type", "-"), auth,
                    self.headers.get("User-Agent", "-").replace(" ", "_"),
                    arrived))
            with open(os.path.join(D, "body.%d" % n), "wb") as f:
                f.write(body)
        kind = b.split()[0]
        if kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if kind == "slow":
            time.sleep(float(b.split()[1]))
            if self.peer_gone():
                with lock:
                    with open(os.path.join(D, "abandoned"), "a") as f:
                        f.write("%s %d\n" % (key, n))
                self.close_connection = True
                return
            kind = "200"
        status = int(kind)
        self.send_response(status)
        if status == 429 and len(b.split()) > 1:
            self.send_header("Retry-After", b.split()[1])
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        if 200 <= status < 300:
            with lock:
                with open(os.path.join(D, "accepted"), "a") as f:
                    f.write("%s %d\n" % (key, n))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), H)
if len(sys.argv) > 2 and sys.argv[2] == "--tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    if len(sys.argv) > 6 and sys.argv[5] == "--client-ca":
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(sys.argv[6])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(os.path.join(D, "port.tmp"), "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(os.path.join(D, "port.tmp"), os.path.join(D, "port"))
# Stop by itself: a test server must never outlive its test.
threading.Timer(float(os.environ.get("RECEIVER_LIFETIME", "120")), srv.shutdown).start()
srv.serve_forever()
