#!/usr/bin/env python3
"""Send one HL7 v2 message file over MLLP and print the ACK.

Usage: python3 sample-bundles/v2/send-mllp.py <file.hl7> [host] [port]
                [--ca ca.pem] [--cert client.pem --key client.key] [--sending-application MSH-3]
Default 127.0.0.1 2575. Line feeds between segments are sent as carriage returns, as HL7 wants.
With --ca the message goes over TLS (MLLP over TLS, e.g. port 2576), the server's certificate checked against
that CA and the host name; --cert/--key present a client certificate (mutual TLS).
"""
import argparse
import re
import socket
import ssl

p = argparse.ArgumentParser(description="Send one HL7 v2 message over MLLP (or MLLP over TLS) and print the ACK")
p.add_argument("file")
p.add_argument("host", nargs="?", default="127.0.0.1")
p.add_argument("port", nargs="?", type=int, default=2575)
p.add_argument("--ca", help="PEM file of the CA the server's certificate must chain to: send over TLS")
p.add_argument("--cert", help="PEM client certificate (mutual TLS)")
p.add_argument("--key", help="PEM private key of --cert")
p.add_argument("--sending-application", help="replace MSH-3 (the sender this server knows)")
args = p.parse_args()

message = open(args.file, encoding="utf-8").read().strip().replace("\r\n", "\r").replace("\n", "\r")
if args.sending_application:
    message = re.sub(r"^(MSH\|[^|]*\|)[^|]*", lambda m: m.group(1) + args.sending_application, message)
with socket.create_connection((args.host, args.port), timeout=30) as raw:
    s = raw
    if args.ca:
        context = ssl.create_default_context(cafile=args.ca)
        if args.cert:
            context.load_cert_chain(args.cert, args.key)
        s = context.wrap_socket(raw, server_hostname=args.host)
    s.sendall(b"\x0b" + message.encode("utf-8") + b"\x1c\r")  # MLLP frame: VT, message, FS, CR
    ack = b""
    while b"\x1c" not in ack:
        chunk = s.recv(65536)
        if not chunk:
            break
        ack += chunk
print(ack.decode("utf-8").strip("\x0b\x1c\r").replace("\r", "\n"))
