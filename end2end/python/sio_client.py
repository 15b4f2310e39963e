"""A python-socketio client, used as a Flask-SocketIO system's users use it, for the tests.

Usage: sio_client.py URL TOKEN

Connects with the token in the handshake (`auth={'token': TOKEN}`, the default transports:
long-polling, then the upgrade to WebSocket), prints every event it receives as one JSON line
`{"event": name, "data": payload}` (plus `connect`, `connect_error` and `disconnect`), and
reads commands from stdin, one JSON object per line:
  {"emit": name, "data": payload}               sio.emit(name, payload)
  {"call": name, "data": payload, "id": n}      sio.call(name, payload): prints {"reply": n, "data": ack}
  {"disconnect": true}                          sio.disconnect(), then exits
"""

import json
import sys
import threading

import socketio

url, token = sys.argv[1], sys.argv[2]
sio = socketio.Client(reconnection=False)
out = threading.Lock()


def say(line):
    with out:
        print(json.dumps(line), flush=True)


@sio.event
def connect():
    say({"event": "connect", "data": {"sid": sio.sid, "transport": sio.transport()}})


@sio.event
def connect_error(data):
    say({"event": "connect_error", "data": data})


@sio.event
def disconnect(reason=None):
    say({"event": "disconnect", "data": str(reason)})


@sio.on("*")
def any_event(event, *args):
    say({"event": event, "data": args[0] if len(args) == 1 else list(args)})


def commands():
    for line in sys.stdin:
        command = json.loads(line)
        if command.get("disconnect"):
            break
        if "call" in command:
            reply = sio.call(command["call"], command.get("data"), timeout=10)
            say({"reply": command["id"], "data": reply})
        else:
            sio.emit(command["emit"], command.get("data"))
    sio.disconnect()


try:
    sio.connect(url, auth={"token": token}, wait_timeout=10)
except socketio.exceptions.ConnectionError as error:
    say({"event": "connect_error", "data": str(error)})
    sys.exit(1)
commands()
