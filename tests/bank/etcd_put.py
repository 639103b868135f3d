#!/usr/bin/env python3
"""One synchronous etcd client for tests/bank/bench.sh: N single-key puts.

    tests/bank/etcd_put.py ENDPOINT N NAME

Each put is a POST of /v3/kv/put on etcd's own JSON gateway (etcd 3.4),
on one kept-alive HTTP connection, waiting for each answer before the
next, as bank-client waits for each result. Prints the same summary line
as bank-client --benchmark:
{"client":"C","commands":N,"ok":N,"rtt_ms":{...}}
"""
import base64
import http.client
import json
import math
import sys
import time


def main():
    endpoint, n, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    host, port = endpoint.split(':')
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    key = base64.b64encode(b'bank-bench').decode()
    rtt = []
    ok = 0
    for i in range(n):
        body = json.dumps({'key': key, 'value':
                           base64.b64encode(b'%s-%d' % (name.encode(), i))
                           .decode()})
        t0 = time.perf_counter()
        try:
            conn.request('POST', '/v3/kv/put', body,
                         {'Content-Type': 'application/json'})
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                ok += 1
                rtt.append((time.perf_counter() - t0) * 1000)
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
    rtt.sort()
    k = len(rtt)
    mean = sum(rtt) / k if k else 0
    sd = math.sqrt(sum((x - mean) ** 2 for x in rtt) / k) if k else 0
    med = (rtt[k // 2] if k % 2 else (rtt[k // 2 - 1] + rtt[k // 2]) / 2) \
        if k else 0
    p99 = rtt[max(0, math.ceil(0.99 * k) - 1)] if k else 0
    print(json.dumps({'client': name, 'commands': n, 'ok': ok, 'rtt_ms': {
        'mean': round(mean, 3), 'min': round(rtt[0], 3) if k else 0,
        'median': round(med, 3), 'p99': round(p99, 3),
        'max': round(rtt[-1], 3) if k else 0, 'stddev': round(sd, 3)}},
        separators=(',', ':')))


if __name__ == '__main__':
    main()
