"""A hostile client for tests: floods a server without reading, then reads everything.

usage: flood_client.py PORT KIND TOTAL_BYTES HOLD_SECONDS

It sends TOTAL_BYTES in a thread (blocks: each begins with its index, so any reordering or loss
changes the digest) and does not read for HOLD_SECONDS. Then it prints `blocked SENT` (what
the server took while nobody read), waits for a line on stdin, reads until end of file, and
prints `done RECEIVED DIGEST EXPECTED_DIGEST`. KIND says what the server answers:
echo  the same bytes back;
fixed replies made of ACK\n: EXPECTED_DIGEST is then the digest of as many ACK\n as arrived,
      so any other byte changes it.
"""
import hashlib
import socket
import sys
import threading
import time

port, kind, total, hold = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = socket.create_connection(('127.0.0.1', port))
sent = 0
expected = hashlib.sha256()
BLOCK = 65536


FILL = bytes(range(256)) * (BLOCK // 256)


def blocks():
    """Blocks that each begin with their index."""
    i = 0
    while True:
        body = i.to_bytes(8, 'big') + FILL[8:]
        yield body, body
        i += 1


def sender():
    global sent
    for body, answer in blocks():
        if sent >= total:
            break
        s.sendall(body)
        expected.update(answer)
        sent += len(body)
    s.shutdown(socket.SHUT_WR)


t = threading.Thread(target=sender, daemon=True)
t.start()
time.sleep(hold)
print('blocked', sent, flush=True)
sys.stdin.readline()
got = hashlib.sha256()
received = 0
while True:
    d = s.recv(1 << 20)
    if not d:
        break
    got.update(d)
    received += len(d)
t.join()
if kind == 'fixed':
    expected = hashlib.sha256(b'ACK\n' * (received // 4))
print('done', received, got.hexdigest(), expected.hexdigest(), flush=True)
