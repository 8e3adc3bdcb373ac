"""Drives headless Chromium through kith serve's pages as a person would,
over the DevTools protocol (standard library only: a minimal WebSocket
client). Test tooling for ServeCLITests; prints one JSON line of what it saw.

usage: drive.py CHROMIUM PROFILE_DIR LOGIN_URL SEARCH_TEXT
"""
import base64, json, os, socket, struct, subprocess, sys, time, urllib.request

chromium, profile, login, search = sys.argv[1:5]
proc = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                         "--remote-debugging-port=0", "--user-data-dir=" + profile, "--accept-lang=ar", "about:blank"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    port_file = os.path.join(profile, "DevToolsActivePort")
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.1)
    port = int(open(port_file).read().split()[0])
    pages = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port))
    target = [p for p in pages if p.get("type") == "page"][0]["webSocketDebuggerUrl"]
    path = target.split(str(port), 1)[1]
    sock = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, port, key)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)

    def send(obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(data) < 126:
            header += bytes([0x80 | len(data)])
        else:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(data))
        sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv_exact(n):
        out = b""
        while len(out) < n:
            chunk = sock.recv(n - len(out))
            if not chunk:
                raise EOFError
            out += chunk
        return out

    def recv():
        first, second = recv_exact(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack(">H", recv_exact(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", recv_exact(8))[0]
        return json.loads(recv_exact(length).decode())

    counter = [0]

    def call(method, **params):
        counter[0] += 1
        send({"id": counter[0], "method": method, "params": params})
        while True:
            message = recv()
            if message.get("id") == counter[0]:
                return message.get("result", {})

    def evaluate(expression):
        return call("Runtime.evaluate", expression=expression, returnByValue=True).get("result", {}).get("value")

    def wait_for(expression, seconds=20):
        for _ in range(seconds * 10):
            value = evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        return None

    seen = {}
    call("Page.enable")
    call("Page.navigate", url=login)
    seen["search_page"] = bool(wait_for("document.querySelector('form[action=\"/find\"]') !== null"))
    # Type the search and press the button, as a person does: a real form POST with the browser's own Origin.
    evaluate("document.getElementById('q').value = %s; document.querySelector('form[action=\"/find\"] button').click(); true" % json.dumps(search))
    seen["results"] = wait_for("document.querySelector('table') ? document.querySelector('table').innerText : ''") or ""
    seen["refused"] = bool(evaluate("document.body.innerText.indexOf('مرفوض') >= 0 || document.body.innerText.indexOf('Refused') >= 0"))
    # Press Lock.
    evaluate("document.querySelector('form[action=\"/lock\"] button').click(); true")
    seen["locked_page"] = bool(wait_for("document.body && document.body.innerText.indexOf('Kith') >= 0 && document.querySelector('form[action=\"/lock\"]') === null"))
    print(json.dumps(seen, ensure_ascii=False))
finally:
    proc.kill()
