#!/usr/bin/env python3
"""Send one HL7 v2 message file over MLLP and print the ACK.

Usage: python3 sample-bundles/v2/send-mllp.py <file.hl7> [host] [port]
Default 127.0.0.1 2575. Line feeds between segments are sent as carriage returns, as HL7 wants.
"""
import socket
import sys

path = sys.argv[1]
host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
port = int(sys.argv[3]) if len(sys.argv) > 3 else 2575

message = open(path, encoding="utf-8").read().strip().replace("\r\n", "\r").replace("\n", "\r")
with socket.create_connection((host, port), timeout=30) as s:
    s.sendall(b"\x0b" + message.encode("utf-8") + b"\x1c\r")  # MLLP frame: VT, message, FS, CR
    ack = b""
    while b"\x1c" not in ack:
        chunk = s.recv(65536)
        if not chunk:
            break
        ack += chunk
print(ack.decode("utf-8").strip("\x0b\x1c\r").replace("\r", "\n"))
